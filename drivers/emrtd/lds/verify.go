package lds

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Authenticity is the outcome of passive authentication.
type Authenticity string

// The outcomes, from best to worst news.
const (
	// Genuine: every data group read matches EF.SOD, whose signature
	// verifies with a document signer certificate issued by a configured CSCA.
	Genuine Authenticity = "genuine"
	// DataAltered: a data group differs from its signed hash, a data group is
	// not covered by EF.SOD, EF.SOD is unreadable, or its signature fails.
	DataAltered Authenticity = "data_altered"
	// UnknownIssuer: the data is consistent and signed, but the document
	// signer does not chain to a configured CSCA (or was not valid then).
	UnknownIssuer Authenticity = "unknown_issuer"
	// NotChecked: no CSCA is configured (or the chip has no EF.SOD), so the
	// issuer could not be checked; hashes and signature were.
	NotChecked Authenticity = "not_checked"
)

// Verification is what Verify found.
type Verification struct {
	Result   Authenticity
	Problems []string // English, one per finding; never personal data
	Signer   string   // the document signer certificate's subject, when EF.SOD holds one
}

// Verify performs passive authentication (Doc 9303 Part 11 §5.1) of the data
// groups read from a chip (number → file as read, tag included):
//
//  1. every data group in dgs has a hash in EF.SOD and matches it;
//  2. the signed attributes' messageDigest is the hash of the encapsulated
//     LDSSecurityObject (and their contentType names it);
//  3. the SignerInfo's signature over the DER SET of signed attributes
//     verifies with the document signer certificate inside EF.SOD (RSA
//     PKCS#1 v1.5, RSASSA-PSS, ECDSA in X9.62 or plain form);
//  4. that certificate is signed by a CSCA of cscas (matched by issuer name
//     or authority key identifier), and both were valid at the SOD's
//     signingTime attribute, or at now when EF.SOD carries none (the
//     document signer's key signs for months, its certificate lives as long
//     as the documents it signed, so the signing time is the instant that
//     matters; a forged signingTime would need the signer's key anyway).
//
// Any failure of 1–3 is DataAltered, whatever cscas holds. With 1–3 good,
// a nil or empty cscas gives NotChecked, a failure of 4 UnknownIssuer.
func Verify(sod []byte, dgs map[int][]byte, cscas *CSCAs, now time.Time) Verification {
	var v Verification
	if len(sod) == 0 {
		v.Result = NotChecked
		v.Problems = []string{"the chip has no EF.SOD: nothing is signed"}
		return v
	}
	s, err := ParseSOD(sod)
	if err != nil {
		v.Result = DataAltered
		v.Problems = []string{"EF.SOD is unreadable: " + err.Error()}
		return v
	}
	if s.Signer != nil {
		v.Signer = s.Signer.Subject.String()
	}
	altered := false
	problem := func(format string, a ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, a...)) }

	nums := make([]int, 0, len(dgs))
	for n := range dgs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		want, ok := s.Hashes[n]
		if !ok {
			problem("DG%d has no hash in EF.SOD", n)
			altered = true
			continue
		}
		h := s.HashAlg.New()
		h.Write(dgs[n])
		if !bytes.Equal(h.Sum(nil), want) {
			problem("DG%d does not match its hash in EF.SOD", n)
			altered = true
		}
	}
	if s.attrType != nil && !s.attrType.Equal(s.contentType) {
		problem("the signed contentType attribute is not the encapsulated content's type")
		altered = true
	}
	h := s.signerDigest.New()
	h.Write(s.content)
	if !bytes.Equal(h.Sum(nil), s.digest) {
		problem("the signed messageDigest is not the hash of the LDS security object")
		altered = true
	}
	if s.Signer == nil && s.certErr != nil {
		problem("the document signer certificate cannot be read, so the signature was not checked: %v", s.certErr)
	} else if s.Signer == nil {
		problem("EF.SOD holds no document signer certificate for its signer")
	} else if err := verifySignature(s.Signer.PublicKey, s.sigAlg, s.sigParams, s.signerDigest, s.signedAttrs, s.signature); err != nil {
		problem("the signature of EF.SOD does not verify with its document signer certificate: %v", err)
		altered = true
	}
	switch {
	case altered:
		v.Result = DataAltered
		return v
	case cscas.Len() == 0:
		v.Result = NotChecked
		problem("no CSCA certificate is configured: the issuer was not checked")
		return v
	case s.Signer == nil:
		v.Result = UnknownIssuer
		return v
	}
	at, when := now, "now"
	if !s.SigningTime.IsZero() {
		at, when = s.SigningTime, "at signing time"
	}
	csca, err := cscas.issuerOf(s.Signer)
	if err != nil {
		v.Result = UnknownIssuer
		problem("%v", err)
		return v
	}
	if at.Before(s.Signer.NotBefore) || at.After(s.Signer.NotAfter) {
		v.Result = UnknownIssuer
		problem("the document signer certificate was not valid %s (%s)", when, at.UTC().Format(time.RFC3339))
		return v
	}
	if at.Before(csca.NotBefore) || at.After(csca.NotAfter) {
		v.Result = UnknownIssuer
		problem("the CSCA certificate was not valid %s (%s)", when, at.UTC().Format(time.RFC3339))
		return v
	}
	if !s.SigningTime.IsZero() && s.SigningTime.After(now.Add(24*time.Hour)) {
		v.Result = UnknownIssuer
		problem("EF.SOD says it was signed in the future (%s)", s.SigningTime.UTC().Format(time.RFC3339))
		return v
	}
	v.Result = Genuine
	return v
}

// issuerOf finds the CSCA that signed ds: candidates by subject name = the
// issuer name, or subject key identifier = the authority key identifier,
// each tried with CheckSignatureFrom. CSCA certificates often break rules
// Go's chain builder enforces (key usage, basic constraints, name
// encodings), so a candidate refused only for such a constraint is tried
// again on the bare signature; and SHA-1 signatures, which Doc 9303
// allowed and Go no longer verifies, are checked here (a CSCA signs no
// content chosen by others, so SHA-1's collisions give a forger nothing).
func (c *CSCAs) issuerOf(ds *x509.Certificate) (*x509.Certificate, error) {
	candidates := 0
	for _, ca := range c.certs {
		byName := bytes.Equal(ca.RawSubject, ds.RawIssuer)
		byKey := len(ds.AuthorityKeyId) > 0 && bytes.Equal(ca.SubjectKeyId, ds.AuthorityKeyId)
		if !byName && !byKey {
			continue
		}
		candidates++
		err := ds.CheckSignatureFrom(ca)
		var cv x509.ConstraintViolationError
		if errors.As(err, &cv) {
			err = ca.CheckSignature(ds.SignatureAlgorithm, ds.RawTBSCertificate, ds.Signature)
		}
		var weak x509.InsecureAlgorithmError
		if errors.As(err, &weak) {
			err = checkSHA1(ca, ds)
		}
		if err == nil {
			return ca, nil
		}
	}
	if candidates == 0 {
		return nil, fmt.Errorf("no configured CSCA issued the document signer certificate (issuer %s)", ds.Issuer)
	}
	return nil, fmt.Errorf("the document signer certificate's signature does not verify with any configured CSCA named %s", ds.Issuer)
}

// checkSHA1 verifies a certificate signature with SHA-1 (RSA PKCS#1 v1.5 or
// ECDSA).
func checkSHA1(ca, ds *x509.Certificate) error {
	var alg asn1.ObjectIdentifier
	switch ds.SignatureAlgorithm {
	case x509.SHA1WithRSA:
		alg = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	case x509.ECDSAWithSHA1:
		alg = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	default:
		return fmt.Errorf("signature algorithm %v not supported", ds.SignatureAlgorithm)
	}
	return verifySignature(ca.PublicKey, alg, nil, crypto.SHA1, ds.RawTBSCertificate, ds.Signature)
}
