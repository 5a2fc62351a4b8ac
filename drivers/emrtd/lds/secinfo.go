package lds

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"
)

// Object identifiers of Doc 9303 Part 11 §9.2 and BSI TR-03110.
const (
	oidBSIPrefix   = "0.4.0.127.0.7.2.2."
	oidPACE        = oidBSIPrefix + "4."    // id-PACE.*
	oidCA          = oidBSIPrefix + "3."    // id-CA.*
	oidPK          = oidBSIPrefix + "1."    // id-PK-DH, id-PK-ECDH
	oidTA          = oidBSIPrefix + "2"     // id-TA
	oidAA          = "2.23.136.1.1.5"       // id-icao-mrtd-security-aaProtocolObject
	oidLDSSecurity = "2.23.136.1.1.1"       // id-icao-mrtd-security-ldsSecurityObject
	oidMasterList  = "2.23.136.1.1.2"       // id-icao-cscaMasterList
	oidSignedData  = "1.2.840.113549.1.7.2" // id-signedData
)

// PACEInfo is one PACE protocol a chip offers in EF.CardAccess.
type PACEInfo struct {
	OID         string // e.g. "0.4.0.127.0.7.2.2.4.2.2" (id-PACE-ECDH-GM-AES-CBC-CMAC-128)
	Version     int    // 2
	ParameterID int    // standardized domain parameters (Doc 9303 Part 11 §9.5.1); -1 when absent
}

// SecurityInfo is one entry of EF.CardAccess or DG14's SecurityInfos.
type SecurityInfo struct {
	Kind        string // "PACE", "ChipAuthentication", "ChipAuthenticationPublicKey", "ActiveAuthentication", "TerminalAuthentication" or "" (other)
	OID         string
	Version     int              // PACE, CA, TA, AA: the version; -1 when the entry has none
	ParameterID int              // PACE: the parameter ID; -1 when absent
	KeyID       int              // CA and CA public key: the key ID; -1 when absent
	KeyOID      string           // CA public key: the algorithm of its SubjectPublicKeyInfo
	PublicKey   []byte           // CA public key: the DER SubjectPublicKeyInfo, as stored
	Key         crypto.PublicKey // the same parsed, when Go's x509 knows its curve (nil for DH and brainpool)
	SigOID      string           // AA: the signature algorithm (ECDSA cards)
	Raw         []byte           // the DER entry
}

// parseSecurityInfos reads a DER SET OF SecurityInfo.
func parseSecurityInfos(b []byte, what string) ([]SecurityInfo, error) {
	var set []asn1.RawValue
	rest, err := asn1.UnmarshalWithParams(b, &set, "set")
	if err != nil {
		return nil, fmt.Errorf("lds: %s: %w", what, err)
	}
	_ = rest // padding after the SET is tolerated
	var out []SecurityInfo
	for _, raw := range set {
		var seq []asn1.RawValue
		if _, err := asn1.Unmarshal(raw.FullBytes, &seq); err != nil || len(seq) == 0 {
			return nil, fmt.Errorf("lds: %s: a SecurityInfo is not a SEQUENCE", what)
		}
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(seq[0].FullBytes, &oid); err != nil {
			return nil, fmt.Errorf("lds: %s: a SecurityInfo does not start with its protocol", what)
		}
		s := SecurityInfo{OID: oid.String(), Version: -1, ParameterID: -1, KeyID: -1, Raw: raw.FullBytes}
		ints := func(from int) []int {
			var v []int
			for _, r := range seq[from:] {
				var n int
				if _, err := asn1.Unmarshal(r.FullBytes, &n); err == nil {
					v = append(v, n)
				}
			}
			return v
		}
		switch {
		case strings.HasPrefix(s.OID, oidPACE) && len(seq) >= 2 && seq[1].Tag == asn1.TagInteger:
			// PACEInfo; a PACEDomainParameterInfo has a SEQUENCE there
			s.Kind = "PACE"
			if v := ints(1); len(v) > 0 {
				s.Version = v[0]
				if len(v) > 1 {
					s.ParameterID = v[1]
				}
			}
		case strings.HasPrefix(s.OID, oidCA) && len(seq) >= 2 && seq[1].Tag == asn1.TagInteger:
			s.Kind = "ChipAuthentication"
			if v := ints(1); len(v) > 0 {
				s.Version = v[0]
				if len(v) > 1 {
					s.KeyID = v[1]
				}
			}
		case strings.HasPrefix(s.OID, oidPK) && len(seq) >= 2:
			s.Kind = "ChipAuthenticationPublicKey"
			s.PublicKey = seq[1].FullBytes
			var spki struct {
				Algorithm struct {
					Algorithm  asn1.ObjectIdentifier
					Parameters asn1.RawValue `asn1:"optional"`
				}
				Key asn1.BitString
			}
			if _, err := asn1.Unmarshal(seq[1].FullBytes, &spki); err != nil {
				return nil, fmt.Errorf("lds: %s: chip authentication public key: %w", what, err)
			}
			s.KeyOID = spki.Algorithm.Algorithm.String()
			if k, err := x509.ParsePKIXPublicKey(seq[1].FullBytes); err == nil {
				s.Key = k
			}
			if v := ints(2); len(v) > 0 {
				s.KeyID = v[0]
			}
		case s.OID == oidAA:
			s.Kind = "ActiveAuthentication"
			if v := ints(1); len(v) > 0 {
				s.Version = v[0]
			}
			if len(seq) >= 3 {
				var sig asn1.ObjectIdentifier
				if _, err := asn1.Unmarshal(seq[2].FullBytes, &sig); err == nil {
					s.SigOID = sig.String()
				}
			}
		case strings.HasPrefix(s.OID, oidTA):
			s.Kind = "TerminalAuthentication"
			if v := ints(1); len(v) > 0 {
				s.Version = v[0]
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseCardAccess reads EF.CardAccess (a bare SecurityInfos SET) and
// returns the PACE protocols it offers, in order.
func ParseCardAccess(b []byte) ([]PACEInfo, error) {
	infos, err := parseSecurityInfos(b, "EF.CardAccess")
	if err != nil {
		return nil, err
	}
	var out []PACEInfo
	for _, s := range infos {
		if s.Kind == "PACE" {
			out = append(out, PACEInfo{OID: s.OID, Version: s.Version, ParameterID: s.ParameterID})
		}
	}
	return out, nil
}

// BuildCardAccess makes EF.CardAccess offering infos (a ParameterID below
// zero is left out).
func BuildCardAccess(infos []PACEInfo) []byte {
	var body []byte
	for _, p := range infos {
		oid, err := parseOID(p.OID)
		if err != nil {
			continue
		}
		v := mustMarshal(oid)
		v = append(v, mustMarshal(p.Version)...)
		if p.ParameterID >= 0 {
			v = append(v, mustMarshal(p.ParameterID)...)
		}
		body = appendTLV(body, 0x30, v)
	}
	return tlvBytes(0x31, sortedSetBody(body))
}

// ParseDG14 reads DG14 (tag 6E around SecurityInfos): chip authentication
// infos and public keys, PACE and other entries, all kept.
func ParseDG14(b []byte) (infos []SecurityInfo, err error) {
	v, err := outer(b, tagDG14, "DG14")
	if err != nil {
		return nil, err
	}
	return parseSecurityInfos(v, "DG14")
}

// ParseDG15 reads DG15 (tag 6F around a SubjectPublicKeyInfo): the active
// authentication key, *rsa.PublicKey or *ecdsa.PublicKey (curves Go knows).
func ParseDG15(b []byte) (crypto.PublicKey, error) {
	v, err := outer(b, tagDG15, "DG15")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(v)
	if err != nil {
		return nil, fmt.Errorf("lds: DG15: %w", err)
	}
	return k, nil
}

// BuildDG15 makes DG15 holding pub.
func BuildDG15(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("lds: DG15: %w", err)
	}
	return tlvBytes(tagDG15, der), nil
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, part := range strings.Split(s, ".") {
		n := 0
		if part == "" {
			return nil, fmt.Errorf("lds: bad OID %q", s)
		}
		for _, c := range part {
			if c < '0' || c > '9' || n > 1<<28 {
				return nil, fmt.Errorf("lds: bad OID %q", s)
			}
			n = n*10 + int(c-'0')
		}
		oid = append(oid, n)
	}
	if len(oid) < 2 {
		return nil, fmt.Errorf("lds: bad OID %q", s)
	}
	return oid, nil
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
