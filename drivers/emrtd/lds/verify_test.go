package lds

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	ecPKI = sync.OnceValue(func() *PKI {
		p, err := NewPKI("VN", "Bộ Công an thử nghiệm")
		if err != nil {
			panic(err)
		}
		return p
	})
	otherPKI = sync.OnceValue(func() *PKI {
		p, err := NewPKI("VN", "Bộ Công an thử nghiệm")
		if err != nil {
			panic(err)
		}
		return p
	})
	rsaPKI = sync.OnceValue(func() *PKI {
		ck, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		dk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		p, err := newPKI("VN", "RSA thử nghiệm", ck, dk, time.Now())
		if err != nil {
			panic(err)
		}
		return p
	})
)

// testDGs are a card's DG1, DG2 and DG13.
func testDGs(t testing.TB) map[int][]byte {
	return map[int][]byte{
		1:  BuildDG1(testMRZ),
		2:  BuildDG2(Face{Format: "jpeg", Data: testJPEG(t, 240, 320)}),
		13: BuildDG13(testDG13()),
	}
}

func mustSOD(t testing.TB, dgs map[int][]byte, h crypto.Hash, p *PKI, pss bool) []byte {
	t.Helper()
	sod, err := buildSOD(dgs, h, p.DS, p.DSKey, pss, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sod
}

func TestVerify(t *testing.T) {
	p := ecPKI()
	dgs := testDGs(t)
	sod, err := BuildSOD(dgs, crypto.SHA256, p.DS, p.DSKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	trusted := NewCSCAs(p.CSCA)

	altered := testDGs(t)
	d := testDG13()
	d.Name = "Đoàn Nguyễn Thị Mỹ Hảo Ánh Ngọt"
	altered[13] = BuildDG13(d)

	extra := testDGs(t)
	extra[15], _ = BuildDG15(p.DSKey.Public())

	s, err := ParseSOD(sod)
	if err != nil {
		t.Fatal(err)
	}
	badSig := bytes.Clone(sod)
	i := bytes.Index(badSig, s.signature)
	badSig[i+len(s.signature)/2] ^= 0x01
	badContent := bytes.Clone(sod)
	i = bytes.Index(badContent, s.Hashes[1])
	badContent[i] ^= 0x01

	for _, c := range []struct {
		name    string
		sod     []byte
		dgs     map[int][]byte
		cscas   *CSCAs
		want    Authenticity
		problem string
	}{
		{"genuine", sod, dgs, trusted, Genuine, ""},
		{"genuine, DG2 not read", sod, map[int][]byte{1: dgs[1], 13: dgs[13]}, trusted, Genuine, ""},
		{"DG13 altered", sod, altered, trusted, DataAltered, "DG13 does not match"},
		{"DG13 altered, no CSCA", sod, altered, nil, DataAltered, "DG13 does not match"},
		{"DG15 not in EF.SOD", sod, extra, trusted, DataAltered, "DG15 has no hash"},
		{"signature altered", badSig, dgs, trusted, DataAltered, "signature of EF.SOD does not verify"},
		{"security object altered", badContent, dgs, trusted, DataAltered, "messageDigest"},
		{"another CSCA", sod, dgs, NewCSCAs(otherPKI().CSCA), UnknownIssuer, "does not verify with any configured CSCA"},
		{"no CSCA", sod, dgs, nil, NotChecked, "no CSCA"},
		{"empty CSCA set", sod, dgs, NewCSCAs(), NotChecked, "no CSCA"},
		{"no EF.SOD", nil, dgs, trusted, NotChecked, "no EF.SOD"},
		{"EF.SOD garbage", []byte{0x77, 0x03, 0x30, 0x01, 0x00}, dgs, trusted, DataAltered, "unreadable"},
		{"EF.SOD truncated", sod[:len(sod)-40], dgs, trusted, DataAltered, "unreadable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := Verify(c.sod, c.dgs, c.cscas, now)
			if v.Result != c.want || !strings.Contains(strings.Join(v.Problems, "; "), c.problem) {
				t.Errorf("got %s %q, want %s with %q", v.Result, v.Problems, c.want, c.problem)
			}
			if c.want == Genuine && (len(v.Problems) != 0 || !strings.Contains(v.Signer, "Document Signer")) {
				t.Errorf("genuine with problems %q, signer %q", v.Problems, v.Signer)
			}
			for _, pr := range v.Problems {
				if strings.Contains(pr, "Đoàn") || strings.Contains(pr, "079012345678") {
					t.Errorf("a problem carries personal data: %q", pr)
				}
			}
		})
	}
}

func TestVerifyAlgorithms(t *testing.T) {
	dgs := testDGs(t)
	for _, c := range []struct {
		name string
		pki  *PKI
		hash crypto.Hash
		pss  bool
	}{
		{"ECDSA P-256 SHA-1", ecPKI(), crypto.SHA1, false},
		{"ECDSA P-256 SHA-224", ecPKI(), crypto.SHA224, false},
		{"ECDSA P-256 SHA-384", ecPKI(), crypto.SHA384, false},
		{"ECDSA P-256 SHA-512", ecPKI(), crypto.SHA512, false},
		{"RSA PKCS#1 v1.5 SHA-256", rsaPKI(), crypto.SHA256, false},
		{"RSASSA-PSS SHA-256", rsaPKI(), crypto.SHA256, true},
		{"RSASSA-PSS SHA-512", rsaPKI(), crypto.SHA512, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sod := mustSOD(t, dgs, c.hash, c.pki, c.pss)
			if v := Verify(sod, dgs, NewCSCAs(c.pki.CSCA), time.Now()); v.Result != Genuine {
				t.Errorf("got %s %q", v.Result, v.Problems)
			}
			s, err := ParseSOD(sod)
			if err != nil || s.HashAlg != c.hash || len(s.Hashes) != 3 || s.Signer == nil || !s.Signer.Equal(c.pki.DS) {
				t.Errorf("ParseSOD: %+v, %v", s, err)
			}
		})
	}
}

// A document signer expired when it signed; a CSCA that breaks Go's chain
// rules (no basic constraints, no certSign key usage) still verifies.
func TestVerifyValidityAndLaxCSCA(t *testing.T) {
	dgs := testDGs(t)
	ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	old, err := newPKI("VN", "cũ", ck, dk, time.Now().AddDate(-20, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	v := Verify(mustSOD(t, dgs, crypto.SHA256, old, false), dgs, NewCSCAs(old.CSCA), time.Now())
	if v.Result != UnknownIssuer || !strings.Contains(strings.Join(v.Problems, ";"), "not valid at signing time") {
		t.Errorf("expired signer: %s %q", v.Result, v.Problems)
	}

	from := time.Now().Add(-time.Hour)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{Country: []string{"VN"}, CommonName: "CSCA lax"},
		NotBefore: from, NotAfter: from.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, ck.Public(), ck)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	dsTmpl := &x509.Certificate{SerialNumber: big.NewInt(8), Subject: pkix.Name{Country: []string{"VN"}, CommonName: "DS lax"},
		NotBefore: from, NotAfter: from.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	dsDER, err := x509.CreateCertificate(rand.Reader, dsTmpl, ca, dk.Public(), ck)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := x509.ParseCertificate(dsDER)
	if err := ds.CheckSignatureFrom(ca); err == nil {
		t.Fatal("Go's CheckSignatureFrom accepts the lax CSCA: the test proves nothing")
	}
	lax := &PKI{CSCA: ca, CSCAKey: ck, DS: ds, DSKey: dk}
	if v := Verify(mustSOD(t, dgs, crypto.SHA256, lax, false), dgs, NewCSCAs(ca), time.Now()); v.Result != Genuine {
		t.Errorf("lax CSCA: %s %q", v.Result, v.Problems)
	}
}

// openssl (a CMS implementation we did not write) accepts our EF.SOD: its
// signature, signed attributes and chain to the CSCA, and gives back the
// LDS security object; asn1parse reads its structure.
func TestSODOpenSSLVerifies(t *testing.T) {
	dgs := testDGs(t)
	for _, c := range []struct {
		name string
		pki  *PKI
		pss  bool
	}{{"ECDSA", ecPKI(), false}, {"RSA", rsaPKI(), false}, {"RSASSA-PSS", rsaPKI(), true}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			sod := mustSOD(t, dgs, crypto.SHA256, c.pki, c.pss)
			cms, err := outer(sod, tagSOD, "")
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "sod.cms"), cms)
			write(t, filepath.Join(dir, "csca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.pki.CSCA.Raw}))
			out, err := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", filepath.Join(dir, "sod.cms"),
				"-CAfile", filepath.Join(dir, "csca.pem"), "-purpose", "any", "-binary", "-out", filepath.Join(dir, "content.der")).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Verification successful") {
				t.Fatalf("openssl cms -verify: %v\n%s", err, out)
			}
			content, _ := os.ReadFile(filepath.Join(dir, "content.der"))
			s, _ := ParseSOD(sod)
			if !bytes.Equal(content, s.content) {
				t.Error("openssl's content is not the LDS security object")
			}
			// against another CSCA, openssl refuses it too
			write(t, filepath.Join(dir, "other.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherPKI().CSCA.Raw}))
			if out, err := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", filepath.Join(dir, "sod.cms"),
				"-CAfile", filepath.Join(dir, "other.pem"), "-purpose", "any", "-binary", "-out", os.DevNull).CombinedOutput(); err == nil {
				t.Errorf("openssl accepted another CSCA:\n%s", out)
			}
			parsed := opensslASN1Parse(t, sod)
			for _, want := range []string{"pkcs7-signedData", "2.23.136.1.1.1", "messageDigest", "signingTime", "contentType"} {
				if !strings.Contains(parsed, want) {
					t.Errorf("asn1parse lacks %s", want)
				}
			}
		})
	}
}

// An EF.SOD that openssl signs (its CMS, its attribute choices, PSS
// parameters) passes our Verify, and fails it once a data group changes.
func TestVerifyOpenSSLSignedSOD(t *testing.T) {
	dgs := testDGs(t)
	for _, c := range []struct {
		name string
		pki  *PKI
		opts []string
	}{
		{"ECDSA", ecPKI(), nil},
		{"RSA", rsaPKI(), nil},
		{"RSASSA-PSS", rsaPKI(), []string{"-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ours, _ := ParseSOD(mustSOD(t, dgs, crypto.SHA256, c.pki, false))
			write(t, filepath.Join(dir, "content.der"), ours.content)
			write(t, filepath.Join(dir, "ds.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.pki.DS.Raw}))
			key, err := x509.MarshalPKCS8PrivateKey(c.pki.DSKey)
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "ds.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
			args := append([]string{"cms", "-sign", "-in", filepath.Join(dir, "content.der"), "-binary", "-nodetach",
				"-outform", "DER", "-out", filepath.Join(dir, "sod.cms"), "-signer", filepath.Join(dir, "ds.pem"),
				"-inkey", filepath.Join(dir, "ds.key"), "-md", "sha256", "-econtent_type", "2.23.136.1.1.1", "-nosmimecap"}, c.opts...)
			if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, out)
			}
			cms, _ := os.ReadFile(filepath.Join(dir, "sod.cms"))
			sod := tlvBytes(tagSOD, cms)
			if v := Verify(sod, dgs, NewCSCAs(c.pki.CSCA), time.Now()); v.Result != Genuine {
				t.Errorf("got %s %q", v.Result, v.Problems)
			}
			altered := map[int][]byte{1: dgs[1], 2: dgs[2], 13: BuildDG13(DG13{Name: "Người khác"})}
			if v := Verify(sod, altered, NewCSCAs(c.pki.CSCA), time.Now()); v.Result != DataAltered {
				t.Errorf("altered: got %s %q", v.Result, v.Problems)
			}
		})
	}
}

func TestLoadCSCAs(t *testing.T) {
	dir := t.TempDir()
	if err := ecPKI().WriteCSCA(dir); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "rsa.der"), rsaPKI().CSCA.Raw)
	write(t, filepath.Join(dir, "README.txt"), []byte("not a certificate"))
	c, err := LoadCSCAs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Errorf("%d certificates", c.Len())
	}
	dgs := testDGs(t)
	if v := Verify(mustSOD(t, dgs, crypto.SHA256, rsaPKI(), false), dgs, c, time.Now()); v.Result != Genuine {
		t.Errorf("got %s %q", v.Result, v.Problems)
	}

	if c, err := LoadCSCAs(filepath.Join(dir, "missing")); err != nil || c.Len() != 0 {
		t.Errorf("missing directory: %d, %v", c.Len(), err)
	}
	write(t, filepath.Join(dir, "broken.crt"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	if _, err := LoadCSCAs(dir); err == nil || !strings.Contains(err.Error(), "broken.crt") {
		t.Errorf("corrupt file: %v", err)
	}
}

// A master list signed by openssl: CMS SignedData of a CscaMasterList.
func TestLoadCSCAsMasterList(t *testing.T) {
	dir := t.TempDir()
	signer := otherPKI()
	list := tlvBytes(0x30, mustMarshal(0), tlvBytes(0x31, sortedSetBody(append(bytes.Clone(ecPKI().CSCA.Raw), rsaPKI().CSCA.Raw...))))
	write(t, filepath.Join(dir, "list.der"), list)
	write(t, filepath.Join(dir, "signer.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signer.DS.Raw}))
	key, _ := x509.MarshalPKCS8PrivateKey(signer.DSKey)
	write(t, filepath.Join(dir, "signer.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
	mlDir := filepath.Join(dir, "csca")
	if err := os.Mkdir(mlDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("openssl", "cms", "-sign", "-in", filepath.Join(dir, "list.der"), "-binary", "-nodetach",
		"-outform", "DER", "-out", filepath.Join(mlDir, "ICAO_ml.ml"), "-signer", filepath.Join(dir, "signer.pem"),
		"-inkey", filepath.Join(dir, "signer.key"), "-econtent_type", "2.23.136.1.1.2", "-nosmimecap").CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	c, err := LoadCSCAs(mlDir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Errorf("%d certificates from the master list", c.Len())
	}
	dgs := testDGs(t)
	if v := Verify(mustSOD(t, dgs, crypto.SHA256, ecPKI(), false), dgs, c, time.Now()); v.Result != Genuine {
		t.Errorf("got %s %q", v.Result, v.Problems)
	}
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkVerify(b *testing.B) {
	dgs := testDGs(b)
	for _, c := range []struct {
		name string
		pki  *PKI
	}{{"ECDSA-P256", ecPKI()}, {"RSA-2048", rsaPKI()}} {
		sod := mustSOD(b, dgs, crypto.SHA256, c.pki, false)
		cscas := NewCSCAs(c.pki.CSCA)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if v := Verify(sod, dgs, cscas, time.Now()); v.Result != Genuine {
					b.Fatal(v.Problems)
				}
			}
		})
	}
}

// A document signer on brainpoolP256r1 (common on eMRTDs; Go's x509 cannot
// read it), made and used by openssl: the hashes are still checked, the
// signature is reported as not checked, never as altered.
func TestVerifyUnreadableSigner(t *testing.T) {
	dir := t.TempDir()
	dgs := testDGs(t)
	ours, _ := ParseSOD(mustSOD(t, dgs, crypto.SHA256, ecPKI(), false))
	write(t, filepath.Join(dir, "content.der"), ours.content)
	for _, args := range [][]string{
		{"ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout", "-out", filepath.Join(dir, "ds.key")},
		{"req", "-new", "-x509", "-key", filepath.Join(dir, "ds.key"), "-subj", "/C=VN/CN=DS brainpool", "-days", "30", "-out", filepath.Join(dir, "ds.pem")},
		{"cms", "-sign", "-in", filepath.Join(dir, "content.der"), "-binary", "-nodetach", "-outform", "DER",
			"-out", filepath.Join(dir, "sod.cms"), "-signer", filepath.Join(dir, "ds.pem"), "-inkey", filepath.Join(dir, "ds.key"),
			"-md", "sha256", "-econtent_type", "2.23.136.1.1.1", "-nosmimecap"},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", args[0], err, out)
		}
	}
	cms, _ := os.ReadFile(filepath.Join(dir, "sod.cms"))
	sod := tlvBytes(tagSOD, cms)
	v := Verify(sod, dgs, NewCSCAs(ecPKI().CSCA), time.Now())
	if v.Result != UnknownIssuer || !strings.Contains(strings.Join(v.Problems, ";"), "cannot be read") {
		t.Errorf("with a CSCA: %s %q", v.Result, v.Problems)
	}
	if v := Verify(sod, dgs, nil, time.Now()); v.Result != NotChecked {
		t.Errorf("without: %s %q", v.Result, v.Problems)
	}
	altered := map[int][]byte{1: dgs[1], 13: BuildDG13(DG13{Name: "Người khác"})}
	if v := Verify(sod, altered, NewCSCAs(ecPKI().CSCA), time.Now()); v.Result != DataAltered {
		t.Errorf("altered: %s %q", v.Result, v.Problems)
	}
}

// A CSCA and document signer certified with SHA-1 (as early eMRTD PKIs
// were): Go's x509 refuses to verify SHA-1, Verify does it itself.
func TestVerifySHA1Certificates(t *testing.T) {
	dgs := testDGs(t)
	ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		key  crypto.Signer
		alg  x509.SignatureAlgorithm
	}{{"ECDSA", ck, x509.ECDSAWithSHA1}, {"RSA", rk, x509.SHA1WithRSA}} {
		t.Run(c.name, func(t *testing.T) {
			from := time.Now().Add(-time.Hour)
			caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{"VN"}, CommonName: "CSCA SHA-1"},
				NotBefore: from, NotAfter: from.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageCertSign, IsCA: true,
				BasicConstraintsValid: true, SignatureAlgorithm: c.alg}
			caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, c.key.Public(), c.key)
			if err != nil {
				t.Fatal(err)
			}
			ca, _ := x509.ParseCertificate(caDER)
			ds := ecPKI().DSKey
			dsTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{Country: []string{"VN"}, CommonName: "DS SHA-1"},
				NotBefore: from, NotAfter: from.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature, SignatureAlgorithm: c.alg}
			dsDER, err := x509.CreateCertificate(rand.Reader, dsTmpl, ca, ds.Public(), c.key)
			if err != nil {
				t.Fatal(err)
			}
			dsCert, _ := x509.ParseCertificate(dsDER)
			p := &PKI{CSCA: ca, CSCAKey: c.key, DS: dsCert, DSKey: ds}
			sod := mustSOD(t, dgs, crypto.SHA256, p, false)
			if v := Verify(sod, dgs, NewCSCAs(ca), time.Now()); v.Result != Genuine {
				t.Errorf("got %s %q", v.Result, v.Problems)
			}
			// the SHA-1 path still refuses a certificate the CSCA did not sign
			if v := Verify(sod, dgs, NewCSCAs(otherCA(t, c.key, c.alg, ca)), time.Now()); v.Result != UnknownIssuer {
				t.Errorf("another key: %s %q", v.Result, v.Problems)
			}
		})
	}
}

// otherCA is a CSCA with like's name and SHA-1 but another key.
func otherCA(t *testing.T, like crypto.Signer, alg x509.SignatureAlgorithm, ca *x509.Certificate) *x509.Certificate {
	t.Helper()
	var key crypto.Signer
	if _, ok := like.Public().(*rsa.PublicKey); ok {
		key, _ = rsa.GenerateKey(rand.Reader, 1024)
	} else {
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: ca.Subject, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter,
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true, SignatureAlgorithm: alg}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}
