package precheck_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/scanner"
	"xephang/kiosk/catalogue"
	"xephang/kiosk/precheck"
	"xephang/kiosk/precheck/internal/testset"
)

var (
	checkerOnce sync.Once
	checker     *precheck.Checker
	checkerErr  error
)

func sharedChecker(t *testing.T) *precheck.Checker {
	t.Helper()
	checkerOnce.Do(func() {
		checker, checkerErr = precheck.NewChecker(precheck.Config{Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }})
	})
	if checkerErr != nil {
		t.Fatal(checkerErr)
	}
	return checker
}

func load(t *testing.T, paths []string) []precheck.Page {
	var out []precheck.Page
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, precheck.Page{Data: b})
	}
	return out
}

func docStatus(res *precheck.Result) []precheck.Status {
	var s []precheck.Status
	for _, d := range res.Documents {
		s = append(s, d.Status)
	}
	return s
}

// Pages at 150 dpi, skewed, a little noisy: still classified, and the citizen is
// asked to rescan at 300 dpi in plain words.
func TestLowResolutionSkewedNoisy(t *testing.T) {
	paths, truth, _ := writeDossier(t, t.TempDir(), "khai-sinh", 3, testset.Options{DPI: 150, Skew: 2, Noise: 0.01})
	res, err := sharedChecker(t).Check(context.Background(), "khai-sinh", load(t, paths), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range res.Pages {
		if p.Kind != truth[i].Kind {
			t.Errorf("page %d read as %q, want %q: %+v", i+1, p.Kind, truth[i].Kind, p)
		}
		if p.DPI != 150 || len(p.Problems) == 0 || !strings.Contains(p.Problems[0], "300 dpi") {
			t.Errorf("page %d: dpi %d, problems %q", i+1, p.DPI, p.Problems)
		}
		if p.Skew < 1.5 && p.Skew > -1.5 {
			t.Errorf("page %d: skew %.1f not found", i+1, p.Skew)
		}
	}
	if !strings.Contains(strings.Join(res.Documents[0].Reasons, " "), "quét lại ở 300 dpi") {
		t.Errorf("reasons %q", res.Documents[0].Reasons)
	}
}

func TestMissingAndCard(t *testing.T) {
	paths, _, d := writeDossier(t, t.TempDir(), "khai-sinh", 4, testset.Options{DPI: 300})
	ch := sharedChecker(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	a := d.People["applicant"]
	sex := "Nam"
	if !a.Male {
		sex = "Nữ"
	}
	qr := func(id, name string) *idcard.Card {
		c, _ := idcard.ParseQR(id+"||"+name+"|"+strings.ReplaceAll(a.Birth.String()[8:10]+a.Birth.String()[5:7]+a.Birth.String()[:4], "-", "")+"|"+sex+"|Hà Nội|01012022", now)
		return c
	}
	var mu sync.Mutex
	var stages []string
	progress := func(p precheck.Progress) {
		mu.Lock()
		stages = append(stages, p.Stage)
		mu.Unlock()
	}
	t.Run("card matches, certificate missing", func(t *testing.T) {
		pages := load(t, []string{paths[0]}) // only the form
		res, err := ch.Check(context.Background(), "khai-sinh", pages, qr(a.ID, a.Name), progress)
		if err != nil {
			t.Fatal(err)
		}
		want := []precheck.Status{precheck.Present, precheck.Missing, precheck.Present}
		if got := docStatus(res); strings.Join(statusStrings(got), ",") != strings.Join(statusStrings(want), ",") {
			t.Fatalf("statuses %v, want %v: %+v", got, want, res.Documents)
		}
		if res.OK {
			t.Error("ok with a missing certificate")
		}
		if !strings.Contains(strings.Join(stages, ","), "ocr") || stages[len(stages)-1] != "done" {
			t.Errorf("progress %v", stages)
		}
	})
	t.Run("someone else's card", func(t *testing.T) {
		other := testset.NewPerson(nil2(), a.Male, 1980, 1990)
		res, err := ch.Check(context.Background(), "khai-sinh", load(t, paths), qr(other.ID, other.Name), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Documents[0].Status != precheck.Inconsistent || res.OK {
			t.Fatalf("%+v", res.Documents)
		}
		if !strings.Contains(res.Documents[0].Reasons[0], "Thẻ căn cước") {
			t.Errorf("reason %q", res.Documents[0].Reasons)
		}
	})
}

func statusStrings(s []precheck.Status) []string {
	var out []string
	for _, x := range s {
		out = append(out, string(x))
	}
	return out
}

// SANE's test backend pages through the real pipeline: a black page and a
// grid are not documents, and say so in plain words.
func TestSANETestBackend(t *testing.T) {
	if _, err := exec.LookPath("scanimage"); err != nil {
		t.Fatal("scanimage (sane-utils) is needed: make deps-test")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var pages []precheck.Page
	for _, pic := range []string{"Solid black", "Grid", "Solid white"} {
		sc := &scanner.SANE{Device: "test", ExtraArgs: []string{"--test-picture", pic}, PageWidth: 100, PageHeight: 140}
		got, err := sc.Scan(ctx, scanner.Options{Dir: dir + "/" + strings.ReplaceAll(pic, " ", ""), Resolution: 150, Mode: scanner.Gray}, nil)
		if err != nil {
			t.Fatalf("%s: %v", pic, err)
		}
		ps, err := precheck.PagesFromScan(got, 150)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, ps...)
	}
	res, err := sharedChecker(t).Check(ctx, "thuong-tru", pages, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range res.Pages {
		if p.Kind != "" || len(p.Problems) < 2 {
			t.Errorf("page %d: %+v", i+1, p)
		}
	}
	for _, d := range res.Documents {
		if d.Status != precheck.Missing {
			t.Errorf("%s: %s", d.Name, d.Status)
		}
	}
	if !strings.Contains(res.Pages[0].Problems[1], "quá tối") || !strings.Contains(res.Pages[2].Problems[1], "Trang trắng") {
		t.Errorf("problems %q / %q", res.Pages[0].Problems, res.Pages[2].Problems)
	}
}

func TestChecklist(t *testing.T) {
	cat := catalogue.Default()
	proc, _ := cat.Procedure("khai-sinh")
	res := &precheck.Result{Procedure: "khai-sinh", Documents: []precheck.DocumentResult{
		{Name: proc.Documents[0].Name, Status: precheck.Present},
		{Name: proc.Documents[1].Name, Status: precheck.Missing, Reasons: []string{"Chưa có trong các trang đã quét."}},
		{Name: proc.Documents[2].Name, Status: precheck.Inconsistent, Reasons: []string{"Thẻ căn cước không khớp."}},
	}}
	cl := precheck.NewChecklist(res, proc, "A012", time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC))
	text := strings.Join(cl.Text(), "\n")
	for _, w := range []string{"[x] Tờ khai đăng ký khai sinh", "[ ] Giấy chứng sinh", "[!] Giấy tờ tùy thân", "Số thứ tự: A012", "24/11/2026 - 09:30:00"} {
		if !strings.Contains(text, w) {
			t.Errorf("checklist lacks %q:\n%s", w, text)
		}
	}
	for _, p := range escpos.Profiles() {
		b, err := cl.ESCPOS(p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if len(b) < 50 || b[0] != 0x1B || b[len(b)-3] != 'V' {
			t.Errorf("%s: %d bytes", p.Name, len(b))
		}
		for i := 0; i+1 < len(b); i++ {
			if b[i] == 0x10 && (b[i+1] == 0x04 || b[i+1] == 0x05 || b[i+1] == 0x14) {
				t.Fatalf("%s: real-time command at %d", p.Name, i)
			}
		}
	}
}

func nil2() *rand.Rand { return rand.New(rand.NewPCG(99, 99)) }
