package formfill

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
	"xephang/kiosk/catalogue"
	"xephang/queue-server/forms"
	"xephang/queue-server/forms/formstest"
)

var today = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// qr writes a holder as the QR payload on the front of a card.
func qr(p forms.Person) string {
	ddmmyyyy := func(d string) string { return d[8:10] + d[5:7] + d[:4] }
	sex := map[string]string{"M": "Nam", "F": "Nữ"}[p.Sex]
	return strings.Join([]string{p.IDNumber, "", p.Name, ddmmyyyy(p.BirthDate), sex, p.Address, ddmmyyyy(p.IssueDate)}, "|")
}

// TestPersonFromEveryCard: every card of the generated set, read from its
// QR payload, becomes the same person (NFC), so what forms proves of the
// set holds from the card on.
func TestPersonFromEveryCard(t *testing.T) {
	for _, want := range formstest.Cards() {
		c, err := idcard.ParseQR(qr(want), today)
		if err != nil {
			t.Fatalf("%s: %v", want.Name, err)
		}
		got := Person(c)
		want.Name = norm.NFC.String(want.Name)
		want.ExpiryDate = c.ExpiryDate.String() // derived from the issue date, none from 58 on
		if got != want {
			t.Errorf("card %s:\n got %+v\nwant %+v", want.Name, got, want)
		}
	}
	mrz, err := idcard.ParseMRZ(strings.Join(idcardsim.SampleMRZ, "\n"), today)
	if err != nil {
		t.Fatal(err)
	}
	if got := Person(mrz); got.Name != "NGUYEN VAN AN" || got.IDNumber != "001095012345" || got.BirthDate != "1995-03-12" || got.Sex != "M" || got.Address != "" {
		t.Errorf("MRZ: %+v", got)
	}
	if (Person(nil) != forms.Person{}) {
		t.Error("nil card is somebody")
	}
}

// TestCardToPDF: three cards (old tone placement, decomposed, MRZ) through
// the whole chain for the six procedures.
func TestCardToPDF(t *testing.T) {
	cards := formstest.Cards()
	payloads := []string{qr(cards[12]), norm.NFD.String(qr(cards[len(cards)-1])), strings.Join(idcardsim.SampleMRZ, "\n")}
	for _, f := range forms.Default().Forms() {
		for _, payload := range payloads {
			c, err := idcard.Parse(payload, today)
			if err != nil {
				t.Fatal(err)
			}
			p := Person(c)
			v := forms.Filled{Procedure: f.Procedure, Values: f.Prefill(p, "card", today)}
			pdf, err := f.PDF(&v, forms.RenderOptions{Now: today})
			if err != nil {
				t.Fatal(err)
			}
			if n := formstest.CheckCard(t, f, p, formstest.PDFText(t, pdf)); n < 2 {
				t.Errorf("%s: %d card fields", f.Procedure, n)
			}
		}
	}
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Command(args, strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	t.Run("qr", func(t *testing.T) {
		out := filepath.Join(dir, "khai-sinh.pdf")
		code, stdout, stderr := run("", "-procedure", "khai-sinh", "-card", idcardsim.SampleQR, "-out", out, "-commune", "phường Hoàn Kiếm",
			"-place", "Hà Nội", "-ref", "A-017", "-today", "2026-12-05")
		if code != exitOK {
			t.Fatalf("exit %d: %s %s", code, stdout, stderr)
		}
		for _, w := range []string{"required fields left to fill by hand", "Họ, chữ đệm, tên (child_name)", "Quan hệ với người được khai sinh (applicant_relation)"} {
			if !strings.Contains(stderr, w) {
				t.Errorf("stderr lacks %q: %s", w, stderr)
			}
		}
		if strings.Contains(stderr, "applicant_name") || strings.Contains(stderr, "001095012345") {
			t.Errorf("stderr names a field the card filled, or the number: %s", stderr)
		}
		st, err := os.Stat(out)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%v %v", st, err)
		}
		pdf, _ := os.ReadFile(out)
		text := formstest.PDFText(t, pdf)
		for _, w := range []string{"TỜ KHAI ĐĂNG KÝ KHAI SINH", "Kính gửi: Ủy ban nhân dân phường Hoàn Kiếm", "Nguyễn Văn An", "001095012345",
			"Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội", "Hà Nội, ngày 05 tháng 12 năm 2026", "Mã: A-017"} {
			if !strings.Contains(text, w) {
				t.Errorf("PDF lacks %q", w)
			}
		}
	})
	t.Run("mrz with spaces", func(t *testing.T) {
		out := filepath.Join(dir, "thuong-tru.pdf")
		code, _, stderr := run("", "-procedure", "thuong-tru", "-card", strings.Join(idcardsim.SampleMRZ, " "), "-out", out, "-today", "2026-12-05")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		pdf, _ := os.ReadFile(out)
		text := formstest.PDFText(t, pdf)
		for _, w := range []string{"NGUYEN VAN AN", "001095012345", "12/03/1995", "Nam"} {
			if !strings.Contains(text, w) {
				t.Errorf("PDF lacks %q", w)
			}
		}
	})
	t.Run("stdin", func(t *testing.T) {
		out := filepath.Join(dir, "ket-hon.pdf")
		code, _, stderr := run(idcardsim.SampleElderlyQR+"\n", "-procedure", "ket-hon", "-card", "-", "-out", out, "-today", "2026-12-05")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		pdf, _ := os.ReadFile(out)
		if text := formstest.PDFText(t, pdf); !strings.Contains(text, "Phạm Thị Lan") || !strings.Contains(text, "05/05/1948") {
			t.Errorf("PDF: %s", text)
		}
	})
	t.Run("invalid card still fills", func(t *testing.T) {
		out := filepath.Join(dir, "bad.pdf")
		bad := strings.Replace(idcardsim.SampleQR, "|Nam|", "|Nữ|", 1)
		code, _, stderr := run("", "-procedure", "dat-dai-lan-dau", "-card", bad, "-out", out, "-today", "2026-12-05")
		if code != exitOK || !strings.Contains(stderr, "warning: card: sex does not match") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no procedure", []string{"-card", idcardsim.SampleQR, "-out", "x.pdf"}, "usage"},
		{"unknown procedure", []string{"-procedure", "ly-hon", "-card", idcardsim.SampleQR, "-out", "x.pdf"}, "known: chung-thuc-ban-sao"},
		{"not a card", []string{"-procedure", "khai-sinh", "-card", "hello", "-out", "x.pdf"}, "neither a card QR payload nor an MRZ"},
		{"bad today", []string{"-procedure", "khai-sinh", "-card", idcardsim.SampleQR, "-out", "x.pdf", "-today", "5/12"}, "-today"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, stderr := run("", tc.args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		})
	}
	if code, _, stderr := run("", "-procedure", "khai-sinh", "-card", idcardsim.SampleQR, "-out", filepath.Join(dir, "no", "such", "dir.pdf")); code != exitProblem {
		t.Fatalf("unwritable out: exit %d %s", code, stderr)
	}
}

func TestCardText(t *testing.T) {
	mrz := strings.Join(idcardsim.SampleMRZ, "\n")
	for in, want := range map[string]string{
		strings.Join(idcardsim.SampleMRZ, " "):  mrz,
		strings.Join(idcardsim.SampleMRZ, `\n`): mrz,
		"  " + mrz + "\n":                       mrz,
		idcardsim.SampleQR + "\n":               idcardsim.SampleQR,
		"a b|c d":                               "a b|c d",
	} {
		if got := CardText(in); got != want {
			t.Errorf("CardText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEveryProcedureHasAForm: each procedure of the kiosk's catalogue has
// its tờ khai, and no form is of a procedure the catalogue lacks.
func TestEveryProcedureHasAForm(t *testing.T) {
	ids := catalogue.Default().IDs()
	for _, id := range ids {
		if _, err := forms.Default().Form(id); err != nil {
			t.Errorf("procedure %s: %v", id, err)
		}
	}
	if n := len(forms.Default().Forms()); n != len(ids) {
		t.Errorf("%d forms for %d procedures", n, len(ids))
	}
}
