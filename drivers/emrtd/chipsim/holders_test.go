package chipsim

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
)

var demoNow = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// TestDemoHoldersMatchDemoCards checks the chips of the demo holders against
// the kiosk's demo cards (the QR payloads and the MRZ of idcardsim) through
// the real parsers: same number, name, birth date, sex, residence, issue
// and expiry dates.
func TestDemoHoldersMatchDemoCards(t *testing.T) {
	for _, tc := range []struct{ kind, qr string }{
		{"adult", idcardsim.SampleQR},
		{"elderly", idcardsim.SampleElderlyQR},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			h := DemoHolder(tc.kind)
			qr, err := idcard.ParseQR(tc.qr, demoNow)
			if err != nil {
				t.Fatal(err)
			}
			mrz, err := idcard.ParseMRZ(h.MRZ, demoNow)
			if err != nil {
				t.Fatalf("MRZ %q: %v", h.MRZ, err)
			}
			d := h.DG13
			sex := map[idcard.Sex]string{idcard.Male: "Nam", idcard.Female: "Nữ"}[qr.Sex]
			for _, c := range []struct{ field, got, want string }{
				{"id_number", d.IDNumber, qr.IDNumber},
				{"mrz id_number", mrz.IDNumber, qr.IDNumber},
				{"name", d.Name, qr.Name},
				{"birth_date", d.BirthDate, ddmmyyyy(qr.BirthDate)},
				{"mrz birth_date", mrz.BirthDate.String(), qr.BirthDate.String()},
				{"sex", d.Sex, sex},
				{"mrz sex", string(mrz.Sex), string(qr.Sex)},
				{"residence", d.Residence, qr.Address},
				{"issue_date", d.IssueDate, ddmmyyyy(qr.IssueDate)},
				{"old_id_number", d.OldIDNumber, qr.OldIDNumber},
				{"mrz expiry", mrz.ExpiryDate.String(), qr.ExpiryDate.String()},
			} {
				if c.got != c.want {
					t.Errorf("%s: chip %q, demo card %q", c.field, c.got, c.want)
				}
			}
			if qr.ExpiryDate.IsZero() {
				if d.ExpiryDate != "Không thời hạn" {
					t.Errorf("expiry %q on a card that does not expire", d.ExpiryDate)
				}
			} else if d.ExpiryDate != ddmmyyyy(qr.ExpiryDate) {
				t.Errorf("expiry %q, demo card %s", d.ExpiryDate, qr.ExpiryDate)
			}
		})
	}
	if got, want := DemoHolder("adult").MRZ, strings.Join(idcardsim.SampleMRZ, "\n"); got != want {
		t.Errorf("adult MRZ\n%s\nwant the demo card's\n%s", got, want)
	}
}

func ddmmyyyy(d idcard.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// TestTonesHolder: the "tones" holder's name carries the five tone marks
// (huyền, sắc, hỏi, ngã, nặng) and đ, in NFC, and its MRZ is valid.
func TestTonesHolder(t *testing.T) {
	h := DemoHolder("tones")
	name := h.DG13.Name
	if !norm.NFC.IsNormalString(name) {
		t.Fatal("name not NFC")
	}
	nfd := norm.NFD.String(name)
	for _, m := range []rune{'\u0300', '\u0301', '\u0309', '\u0303', '\u0323'} {
		if !strings.ContainsRune(nfd, m) {
			t.Errorf("name %q lacks tone mark U+%04X", name, m)
		}
	}
	if !strings.ContainsRune(name, 'Đ') {
		t.Errorf("name %q lacks Đ", name)
	}
	c, err := idcard.ParseMRZ(h.MRZ, demoNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.IDNumber != h.DG13.IDNumber || c.BirthDate.String() != "1992-07-20" || c.Sex != idcard.Female {
		t.Errorf("MRZ says %+v", c)
	}
	if DemoHolder("nobody").MRZ != "" {
		t.Error("an unknown kind gives a holder")
	}
}

// TestNewFiles builds the demo cards and checks their files with package
// lds: genuine when untouched, data altered with Alter, DG13 reads back.
func TestNewFiles(t *testing.T) {
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	cscas := lds.NewCSCAs(pki.CSCA)
	for _, kind := range DemoKinds {
		for _, alter := range []bool{false, true} {
			h := DemoHolder(kind)
			c, err := New(h, Options{PKI: pki, Alter: alter, PACE: true, CAN: "123456", ActiveAuth: true})
			if err != nil {
				t.Fatal(err)
			}
			files := c.Files()
			dgs := map[int][]byte{}
			for fid, f := range files {
				if fid>>8 == 1 && fid&0xFF <= 16 {
					dgs[int(fid&0xFF)] = f
				}
			}
			v := lds.Verify(files[0x011D], dgs, cscas, demoNow)
			want := lds.Genuine
			if alter {
				want = lds.DataAltered
			}
			if v.Result != want {
				t.Errorf("%s alter=%v: %s %v", kind, alter, v.Result, v.Problems)
			}
			d, err := lds.ParseDG13(dgs[13])
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != h.DG13.Name || (!alter && d.Residence != h.DG13.Residence) {
				t.Errorf("%s: DG13 reads back %q, %q", kind, d.Name, d.Residence)
			}
			f, err := lds.ParseDG2(dgs[2])
			if err != nil || !bytes.Equal(f.Data, h.Face.Data) || f.Format != h.Face.Format {
				t.Errorf("%s: DG2 reads back %s %d bytes, %v", kind, f.Format, len(f.Data), err)
			}
			if _, err := lds.ParseCardAccess(files[fidCardAccess]); err != nil {
				t.Error(err)
			}
			if _, err := lds.ParseDG15(dgs[15]); err != nil {
				t.Error(err)
			}
			infos, err := lds.ParseDG14(dgs[14])
			if err != nil || len(infos) != 1 || infos[0].Kind != "ActiveAuthentication" {
				t.Errorf("DG14 %+v %v", infos, err)
			}
		}
	}
	if _, err := New(Holder{}, Options{PKI: pki}); err == nil {
		t.Error("a card without a holder")
	}
}

// TestReadInProcess reads the adult's DG13 through BAC and secure messaging
// with the test terminal: the files come out as built.
func TestReadInProcess(t *testing.T) {
	h := DemoHolder("adult")
	c, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{t: t, c: c.c}
	info, _ := mrzInformation(h.MRZ)
	seed := sha1.Sum([]byte(info))
	if sw := tm.pace(1, seed[:]); sw != swConditions {
		t.Fatalf("PACE on a BAC card: %04X", sw)
	}
	if _, sw := tm.raw(unhex(t, "00A4040C07A0000002471001")); sw != swOK {
		t.Fatal(sw)
	}
	tm.sm = bacTerminal(t, c.c.transmit, seed[:16])
	if _, sw := tm.send(0, 0xA4, 2, 0x0C, []byte{1, 0x0D}, 0); sw != swOK {
		t.Fatalf("SELECT DG13 %04X", sw)
	}
	want := c.Files()[0x010D]
	got, sw := tm.send(0, 0xB0, 0, 0, nil, len(want))
	if sw != swOK || !bytes.Equal(got, want) {
		t.Fatalf("DG13 %04X", sw)
	}
}

// bacTerminal runs BAC from the terminal side with fixed RND.IFD and K.IFD.
func bacTerminal(t *testing.T, tx func([]byte) []byte, seed []byte) *smSession {
	t.Helper()
	r := tx(unhex(t, "0084000008"))
	rndIC := r[:8]
	rndIFD, kIFD := bytes.Repeat([]byte{1}, 8), bytes.Repeat([]byte{2}, 16)
	kenc, kmac := kdf(seed, kdfEnc, 0), kdf(seed, kdfMac, 0)
	e := cbcEncrypt(des3(kenc), make([]byte, 8), append(append(append([]byte(nil), rndIFD...), rndIC...), kIFD...))
	data := append(e, retailMAC(kmac, pad(e, 8))...)
	r = tx(append(append([]byte{0, 0x82, 0, 0, 0x28}, data...), 0x28))
	if len(r) != 42 {
		t.Fatalf("EXTERNAL AUTHENTICATE %X", r)
	}
	resp := cbcDecrypt(des3(kenc), make([]byte, 8), r[:32])
	kIC := resp[16:32]
	s := make([]byte, 16)
	for i := range s {
		s[i] = kIFD[i] ^ kIC[i]
	}
	return &smSession{kenc: kdf(s, kdfEnc, 0), kmac: kdf(s, kdfMac, 0), ssc: append(append([]byte(nil), rndIC[4:]...), rndIFD[4:]...)}
}

// TestElderlyFaceJP2 checks the committed JPEG 2000 face with OpenJPEG's
// own decoder; CHIPSIM_REGENERATE=1 makes it again from the drawn face.
func TestElderlyFaceJP2(t *testing.T) {
	dir := t.TempDir()
	if os.Getenv("CHIPSIM_REGENERATE") != "" {
		pngPath := filepath.Join(dir, "face.png")
		var b bytes.Buffer
		if err := png.Encode(&b, drawFace(looks["elderly"])); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pngPath, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("opj_compress", "-i", pngPath, "-o", "elderly.jp2", "-r", "60").CombinedOutput(); err != nil {
			t.Fatalf("opj_compress: %v\n%s", err, out)
		}
		t.Log("elderly.jp2 written; rebuild to embed it")
	}
	in := filepath.Join(dir, "face.jp2")
	if err := os.WriteFile(in, elderlyJP2, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "face.png")
	if b, err := exec.Command("opj_decompress", "-i", in, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("opj_decompress: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != faceWidth || r.Dy() != faceHeight {
		t.Fatalf("JPEG 2000 face is %v", r)
	}
	if len(elderlyJP2) > 15*1024 {
		t.Errorf("JPEG 2000 face is %d bytes", len(elderlyJP2))
	}
}

// direct is a card in process as an emrtd.Transmitter.
type direct struct{ c *Card }

func (d direct) Transmit(apdu []byte) ([]byte, error) { return d.c.Transmit(apdu), nil }

// TestReadTwice reads the same card twice without a reset, as a kiosk does
// when the card stays on the reader: the second read's first plain command
// ends the first session (6988) and the read starts a new one.
func TestReadTwice(t *testing.T) {
	for _, o := range []Options{{}, {PACE: true, ActiveAuth: true}} {
		h := DemoHolder("adult")
		c, err := New(h, o)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			chip, err := emrtd.Read(context.Background(), direct{c}, emrtd.AccessKey{MRZ: mrzKey(t, h)}, true)
			if err != nil {
				t.Fatalf("PACE=%v read %d: %v", o.PACE, i+1, err)
			}
			if want := map[bool]string{false: "BAC", true: "PACE"}[o.PACE]; chip.Stats.Access != want {
				t.Errorf("read %d: access %s, want %s", i+1, chip.Stats.Access, want)
			}
		}
	}
}

// TestNoLockUp: ten reads with a wrong MRZ (BAC) or a wrong CAN (PACE) are
// refused as such, and the right key opens the card at once after.
func TestNoLockUp(t *testing.T) {
	h := DemoHolder("tones")
	for _, o := range []Options{{}, {PACE: true, CAN: "112233"}} {
		c, err := New(h, o)
		if err != nil {
			t.Fatal(err)
		}
		wrong, right := *mrzKey(t, h), emrtd.AccessKey{MRZ: mrzKey(t, h)}
		wrong.DocumentNumber = "192004322"
		bad := emrtd.AccessKey{MRZ: &wrong}
		if o.PACE {
			bad, right = emrtd.AccessKey{CAN: "112234"}, emrtd.AccessKey{CAN: o.CAN}
		}
		for i := 0; i < 10; i++ {
			if _, err := emrtd.Read(context.Background(), direct{c}, bad, true); !errors.Is(err, emrtd.ErrAccessDenied) {
				t.Fatalf("PACE=%v wrong key %d: %v", o.PACE, i+1, err)
			}
		}
		if _, err := emrtd.Read(context.Background(), direct{c}, right, true); err != nil {
			t.Fatalf("PACE=%v right key after ten wrong ones: %v", o.PACE, err)
		}
	}
}
