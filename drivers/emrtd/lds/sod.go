package lds

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // the hashes an EF.SOD may name, linked whatever else is
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// SOD is EF.SOD, the document security object: the hash of every data
// group, signed by the issuing state's document signer (CMS SignedData,
// RFC 5652, around an LDSSecurityObject, Doc 9303 Part 10 §4.6.2).
type SOD struct {
	HashAlg      crypto.Hash           // of the data groups
	Hashes       map[int][]byte        // data group number → hash
	Signer       *x509.Certificate     // the document signer certificate the SignerInfo names (nil when the SOD holds none)
	Certificates []*x509.Certificate   // every certificate of the SignedData
	SigningTime  time.Time             // the signingTime attribute; zero when absent
	LDSVersion   int                   // the LDSSecurityObject's version (0, or 1 with LDS version info)
	content      []byte                // eContent: the DER LDSSecurityObject
	contentType  asn1.ObjectIdentifier // eContentType
	signerDigest crypto.Hash           // the SignerInfo's digest algorithm
	signedAttrs  []byte                // the signed attributes as a DER SET (tag 31), what the signature covers
	attrType     asn1.ObjectIdentifier // the contentType attribute, when present
	digest       []byte                // the messageDigest attribute
	sigAlg       asn1.ObjectIdentifier // the SignerInfo's signature algorithm
	sigParams    []byte                // its parameters (RSASSA-PSS)
	signature    []byte
	certErr      error // why a certificate of the SignedData could not be read
}

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidAttrType  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMD    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrTime  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidLDSObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	oidCMSSigned = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{{oidSHA1, crypto.SHA1}, {oidSHA224, crypto.SHA224}, {oidSHA256, crypto.SHA256}, {oidSHA384, crypto.SHA384}, {oidSHA512, crypto.SHA512}}

// signature algorithms that name their hash: RSA PKCS#1 v1.5, ECDSA (X9.62)
// and ECDSA with plain r‖s signatures (BSI TR-03111)
var sigOIDs = []struct {
	oid   asn1.ObjectIdentifier
	hash  crypto.Hash
	plain bool
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, crypto.SHA1, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}, crypto.SHA224, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, crypto.SHA256, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, crypto.SHA384, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, crypto.SHA512, false},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, crypto.SHA1, false},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, crypto.SHA224, false},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, crypto.SHA256, false},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, crypto.SHA384, false},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, crypto.SHA512, false},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 1}, crypto.SHA1, true},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 2}, crypto.SHA224, true},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}, crypto.SHA256, true},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}, crypto.SHA384, true},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 5}, crypto.SHA512, true},
}

func hashOf(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, h := range hashOIDs {
		if h.oid.Equal(oid) {
			return h.hash, true
		}
	}
	return 0, false
}

func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, x := range hashOIDs {
		if x.hash == h {
			return x.oid, true
		}
	}
	return nil, false
}

// elements splits DER content into its elements.
func elements(b []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(b) > 0 {
		var rv asn1.RawValue
		rest, err := asn1.Unmarshal(b, &rv)
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
		b = rest
	}
	return out, nil
}

// contentInfo reads a CMS ContentInfo: SEQUENCE { contentType OID,
// [0] EXPLICIT content }.
func contentInfo(b []byte) (asn1.ObjectIdentifier, asn1.RawValue, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(b, &seq); err != nil || seq.Tag != asn1.TagSequence {
		return nil, asn1.RawValue{}, errors.New("content info is not a SEQUENCE")
	}
	el, err := elements(seq.Bytes)
	if err != nil || len(el) < 2 || el[1].Class != asn1.ClassContextSpecific || el[1].Tag != 0 {
		return nil, asn1.RawValue{}, errors.New("bad content info")
	}
	var typ asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(el[0].FullBytes, &typ); err != nil {
		return nil, asn1.RawValue{}, errors.New("bad content type")
	}
	var content asn1.RawValue
	if _, err := asn1.Unmarshal(el[1].Bytes, &content); err != nil {
		return nil, asn1.RawValue{}, errors.New("bad content")
	}
	return typ, content, nil
}

// algorithm reads an AlgorithmIdentifier: its OID and its parameters' DER.
func algorithm(rv asn1.RawValue) (asn1.ObjectIdentifier, []byte, error) {
	if rv.Tag != asn1.TagSequence || rv.Class != asn1.ClassUniversal {
		return nil, nil, errors.New("algorithm identifier is not a SEQUENCE")
	}
	el, err := elements(rv.Bytes)
	if err != nil || len(el) == 0 {
		return nil, nil, errors.New("bad algorithm identifier")
	}
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(el[0].FullBytes, &oid); err != nil {
		return nil, nil, errors.New("bad algorithm identifier")
	}
	var params []byte
	if len(el) > 1 {
		params = el[1].FullBytes
	}
	return oid, params, nil
}

// ParseSOD reads EF.SOD (tag 77 around a CMS ContentInfo of SignedData).
// It checks the structure only; Verify checks what it says.
func ParseSOD(b []byte) (*SOD, error) {
	v, err := outer(b, tagSOD, "EF.SOD")
	if err != nil {
		return nil, err
	}
	s, err := parseSignedData(v, oidLDSObject)
	if err != nil {
		return nil, fmt.Errorf("lds: EF.SOD: %w", err)
	}
	if err := s.parseLDSObject(); err != nil {
		return nil, fmt.Errorf("lds: EF.SOD: %w", err)
	}
	return s, nil
}

// parseSignedData reads a ContentInfo holding SignedData with one
// SignerInfo (the first is used) and encapsulated content of the type want.
func parseSignedData(b []byte, want asn1.ObjectIdentifier) (*SOD, error) {
	typ, content, err := contentInfo(b)
	if err != nil {
		return nil, err
	}
	if !typ.Equal(oidCMSSigned) {
		return nil, fmt.Errorf("content type %v is not signed data", typ)
	}
	if content.Tag != asn1.TagSequence {
		return nil, errors.New("signed data is not a SEQUENCE")
	}
	sd, err := elements(content.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signed data: %w", err)
	}
	if len(sd) < 4 {
		return nil, errors.New("signed data too short")
	}
	s := &SOD{Hashes: map[int][]byte{}}
	// encapContentInfo
	encap, err := elements(sd[2].Bytes)
	if err != nil || len(encap) < 2 || sd[2].Tag != asn1.TagSequence {
		return nil, errors.New("no encapsulated content")
	}
	if _, err := asn1.Unmarshal(encap[0].FullBytes, &s.contentType); err != nil {
		return nil, errors.New("bad content type")
	}
	if !s.contentType.Equal(want) {
		return nil, fmt.Errorf("encapsulated content type %v, want %v", s.contentType, want)
	}
	if encap[1].Class != asn1.ClassContextSpecific || encap[1].Tag != 0 {
		return nil, errors.New("no encapsulated content")
	}
	if _, err := asn1.Unmarshal(encap[1].Bytes, &s.content); err != nil {
		return nil, fmt.Errorf("encapsulated content: %w", err)
	}
	// certificates, CRLs, signer infos
	var signers asn1.RawValue
	for _, e := range sd[3:] {
		switch {
		case e.Class == asn1.ClassContextSpecific && e.Tag == 0:
			certs, err := elements(e.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificates: %w", err)
			}
			for _, c := range certs {
				if c.Tag != asn1.TagSequence || c.Class != asn1.ClassUniversal {
					continue // other certificate choices
				}
				cert, err := x509.ParseCertificate(c.FullBytes)
				if err != nil {
					// e.g. a brainpool key, which Go's x509 does not read:
					// the hashes can still be checked
					s.certErr = err
					continue
				}
				s.Certificates = append(s.Certificates, cert)
			}
		case e.Class == asn1.ClassUniversal && e.Tag == asn1.TagSet:
			signers = e
		}
	}
	si, err := elements(signers.Bytes)
	if err != nil || len(si) == 0 {
		return nil, errors.New("no signer info")
	}
	if err := s.parseSignerInfo(si[0]); err != nil {
		return nil, fmt.Errorf("signer info: %w", err)
	}
	return s, nil
}

func (s *SOD) parseSignerInfo(rv asn1.RawValue) error {
	el, err := elements(rv.Bytes)
	if err != nil || len(el) < 5 || rv.Tag != asn1.TagSequence {
		return errors.New("not a SignerInfo")
	}
	sid := el[1]
	dOID, _, err := algorithm(el[2])
	if err != nil {
		return err
	}
	var ok bool
	if s.signerDigest, ok = hashOf(dOID); !ok {
		return fmt.Errorf("digest algorithm %v not supported", dOID)
	}
	i := 3
	if el[i].Class == asn1.ClassContextSpecific && el[i].Tag == 0 {
		s.signedAttrs = append([]byte{0x31}, el[i].FullBytes[1:]...)
		if err := s.parseAttributes(el[i].Bytes); err != nil {
			return err
		}
		i++
	}
	if i+1 >= len(el) {
		return errors.New("SignerInfo too short")
	}
	if s.sigAlg, s.sigParams, err = algorithm(el[i]); err != nil {
		return err
	}
	if el[i+1].Tag != asn1.TagOctetString {
		return errors.New("signature is not an OCTET STRING")
	}
	s.signature = el[i+1].Bytes
	s.Signer = s.findSigner(sid)
	return nil
}

func (s *SOD) parseAttributes(b []byte) error {
	attrs, err := elements(b)
	if err != nil {
		return fmt.Errorf("signed attributes: %w", err)
	}
	for _, a := range attrs {
		var attr struct {
			Type   asn1.ObjectIdentifier
			Values []asn1.RawValue `asn1:"set"`
		}
		if _, err := asn1.Unmarshal(a.FullBytes, &attr); err != nil || len(attr.Values) == 0 {
			return errors.New("bad signed attribute")
		}
		val := attr.Values[0].FullBytes
		switch {
		case attr.Type.Equal(oidAttrMD):
			if _, err := asn1.Unmarshal(val, &s.digest); err != nil {
				return errors.New("bad messageDigest attribute")
			}
		case attr.Type.Equal(oidAttrType):
			if _, err := asn1.Unmarshal(val, &s.attrType); err != nil {
				return errors.New("bad contentType attribute")
			}
		case attr.Type.Equal(oidAttrTime):
			var t time.Time
			if _, err := asn1.Unmarshal(val, &t); err == nil {
				s.SigningTime = t
			}
		}
	}
	if s.digest == nil {
		return errors.New("no messageDigest attribute")
	}
	return nil
}

// findSigner is the certificate the signer identifier names: issuer and
// serial number, or [0] subject key identifier.
func (s *SOD) findSigner(sid asn1.RawValue) *x509.Certificate {
	for _, c := range s.Certificates {
		switch {
		case sid.Class == asn1.ClassContextSpecific && sid.Tag == 0:
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c
			}
		case sid.Tag == asn1.TagSequence:
			el, err := elements(sid.Bytes)
			if err != nil || len(el) != 2 {
				return nil
			}
			var serial *big.Int
			if _, err := asn1.Unmarshal(el[1].FullBytes, &serial); err != nil {
				return nil
			}
			if bytes.Equal(c.RawIssuer, el[0].FullBytes) && c.SerialNumber.Cmp(serial) == 0 {
				return c
			}
		}
	}
	return nil
}

// ldsSecurityObject is Doc 9303 Part 10's LDSSecurityObject.
type ldsSecurityObject struct {
	Version       int
	HashAlgorithm asn1.RawValue
	Hashes        []dataGroupHash
	VersionInfo   asn1.RawValue `asn1:"optional"`
}

type dataGroupHash struct {
	Number int
	Hash   []byte
}

func (s *SOD) parseLDSObject() error {
	var o ldsSecurityObject
	if _, err := asn1.Unmarshal(s.content, &o); err != nil {
		return fmt.Errorf("LDS security object: %w", err)
	}
	oid, _, err := algorithm(o.HashAlgorithm)
	if err != nil {
		return fmt.Errorf("LDS security object: %w", err)
	}
	var ok bool
	if s.HashAlg, ok = hashOf(oid); !ok {
		return fmt.Errorf("LDS security object: hash algorithm %v not supported", oid)
	}
	s.LDSVersion = o.Version
	for _, h := range o.Hashes {
		if h.Number < 1 || h.Number > 16 {
			return fmt.Errorf("LDS security object: data group %d", h.Number)
		}
		s.Hashes[h.Number] = h.Hash
	}
	return nil
}

// verifySignature checks sig over msg with pub, the algorithm given by the
// SignerInfo's signature algorithm (its hash, or the digest algorithm's when
// it names none, as rsaEncryption and id-ecPublicKey do).
func verifySignature(pub crypto.PublicKey, alg asn1.ObjectIdentifier, params []byte, digest crypto.Hash, msg, sig []byte) error {
	h, plain := digest, false
	known := alg.Equal(oidRSA) || alg.Equal(oidECKey) || alg.Equal(oidRSAPSS)
	for _, x := range sigOIDs {
		if x.oid.Equal(alg) {
			h, plain, known = x.hash, x.plain, true
		}
	}
	if !known {
		return fmt.Errorf("signature algorithm %v not supported", alg)
	}
	var pss *rsa.PSSOptions
	if alg.Equal(oidRSAPSS) {
		var err error
		if h, pss, err = pssParams(params); err != nil {
			return err
		}
	}
	if !h.Available() {
		return fmt.Errorf("hash %v not available", h)
	}
	hh := h.New()
	hh.Write(msg)
	sum := hh.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if pss != nil {
			return rsa.VerifyPSS(k, h, sum, sig, pss)
		}
		return rsa.VerifyPKCS1v15(k, h, sum, sig)
	case *ecdsa.PublicKey:
		if plain || !ecdsa.VerifyASN1(k, sum, sig) {
			if len(sig)%2 == 0 && len(sig) > 0 {
				r := new(big.Int).SetBytes(sig[:len(sig)/2])
				ss := new(big.Int).SetBytes(sig[len(sig)/2:])
				if ecdsa.Verify(k, sum, r, ss) {
					return nil
				}
			}
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("public key %T not supported", pub)
}

// pssParams reads RSASSA-PSS-params (RFC 4055): the hash, MGF1 with the
// same hash, the salt length (defaults SHA-1 and 20).
func pssParams(b []byte) (crypto.Hash, *rsa.PSSOptions, error) {
	h, salt := crypto.SHA1, 20
	if len(b) > 0 {
		var seq asn1.RawValue
		if _, err := asn1.Unmarshal(b, &seq); err != nil {
			return 0, nil, errors.New("bad RSASSA-PSS parameters")
		}
		el, err := elements(seq.Bytes)
		if err != nil {
			return 0, nil, errors.New("bad RSASSA-PSS parameters")
		}
		for _, e := range el {
			switch e.Tag {
			case 0:
				var alg asn1.RawValue
				if _, err := asn1.Unmarshal(e.Bytes, &alg); err != nil {
					return 0, nil, errors.New("bad RSASSA-PSS hash")
				}
				oid, _, err := algorithm(alg)
				if err != nil {
					return 0, nil, err
				}
				var ok bool
				if h, ok = hashOf(oid); !ok {
					return 0, nil, fmt.Errorf("RSASSA-PSS hash %v not supported", oid)
				}
			case 1:
				var alg asn1.RawValue
				if _, err := asn1.Unmarshal(e.Bytes, &alg); err != nil {
					return 0, nil, errors.New("bad RSASSA-PSS mask generation")
				}
				oid, _, err := algorithm(alg)
				if err != nil || !oid.Equal(oidMGF1) {
					return 0, nil, errors.New("RSASSA-PSS mask generation other than MGF1")
				}
			case 2:
				if _, err := asn1.Unmarshal(e.Bytes, &salt); err != nil || salt < 0 {
					return 0, nil, errors.New("bad RSASSA-PSS salt length")
				}
			}
		}
	}
	return h, &rsa.PSSOptions{SaltLength: salt, Hash: h}, nil
}

// BuildSOD makes EF.SOD over dgs: an LDSSecurityObject (version 0) of their
// hashes with hash, signed by ds's key with signed attributes contentType,
// signingTime and messageDigest (RSA PKCS#1 v1.5 or ECDSA), ds inside.
func BuildSOD(dgs map[int][]byte, hash crypto.Hash, ds *x509.Certificate, key crypto.Signer) ([]byte, error) {
	return buildSOD(dgs, hash, ds, key, false, time.Now())
}

func buildSOD(dgs map[int][]byte, hash crypto.Hash, ds *x509.Certificate, key crypto.Signer, pss bool, now time.Time) ([]byte, error) {
	hOID, ok := hashOID(hash)
	if !ok || !hash.Available() {
		return nil, fmt.Errorf("lds: SOD: hash %v not supported", hash)
	}
	hashAlg := tlvBytes(0x30, mustMarshal(hOID))
	nums := make([]int, 0, len(dgs))
	for n := range dgs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var list []byte
	for _, n := range nums {
		h := hash.New()
		h.Write(dgs[n])
		list = append(list, tlvBytes(0x30, mustMarshal(n), mustMarshal(h.Sum(nil)))...)
	}
	content := tlvBytes(0x30, mustMarshal(0), hashAlg, tlvBytes(0x30, list))

	h := hash.New()
	h.Write(content)
	attr := func(oid asn1.ObjectIdentifier, v []byte) []byte {
		return tlvBytes(0x30, mustMarshal(oid), tlvBytes(0x31, v))
	}
	attrs := sortedSetBody(slices.Concat(
		attr(oidAttrType, mustMarshal(oidLDSObject)),
		attr(oidAttrTime, mustMarshal(now.UTC().Truncate(time.Second))),
		attr(oidAttrMD, mustMarshal(h.Sum(nil)))))
	signed := tlvBytes(0x31, attrs)

	sh := hash.New()
	sh.Write(signed)
	sum := sh.Sum(nil)
	var sigAlg []byte
	var opts crypto.SignerOpts = hash
	switch key.Public().(type) {
	case *rsa.PublicKey:
		if pss {
			hashParams := tlvBytes(0x30, mustMarshal(hOID))
			params := tlvBytes(0x30,
				tlvBytes(0xA0, hashParams),
				tlvBytes(0xA1, tlvBytes(0x30, mustMarshal(oidMGF1), hashParams)),
				tlvBytes(0xA2, mustMarshal(hash.Size())))
			sigAlg = tlvBytes(0x30, mustMarshal(oidRSAPSS), params)
			opts = &rsa.PSSOptions{SaltLength: hash.Size(), Hash: hash}
			break
		}
		for _, x := range sigOIDs {
			if x.hash == hash && x.oid[0] == 1 && x.oid[3] == 113549 {
				sigAlg = tlvBytes(0x30, mustMarshal(x.oid), []byte{0x05, 0x00})
			}
		}
	case *ecdsa.PublicKey:
		for _, x := range sigOIDs {
			if x.hash == hash && x.oid[0] == 1 && x.oid[3] == 10045 {
				sigAlg = tlvBytes(0x30, mustMarshal(x.oid))
			}
		}
	default:
		return nil, fmt.Errorf("lds: SOD: key %T not supported", key.Public())
	}
	sig, err := key.Sign(rand.Reader, sum, opts)
	if err != nil {
		return nil, fmt.Errorf("lds: SOD: signing: %w", err)
	}
	signerInfo := tlvBytes(0x30,
		mustMarshal(1),
		tlvBytes(0x30, ds.RawIssuer, mustMarshal(ds.SerialNumber)),
		hashAlg,
		tlvBytes(0xA0, attrs),
		sigAlg,
		mustMarshal(sig))
	signedData := tlvBytes(0x30,
		mustMarshal(3),
		tlvBytes(0x31, hashAlg),
		tlvBytes(0x30, mustMarshal(oidLDSObject), tlvBytes(0xA0, mustMarshal(content))),
		tlvBytes(0xA0, ds.Raw),
		tlvBytes(0x31, signerInfo))
	ci := tlvBytes(0x30, mustMarshal(oidCMSSigned), tlvBytes(0xA0, signedData))
	return tlvBytes(tagSOD, ci), nil
}
