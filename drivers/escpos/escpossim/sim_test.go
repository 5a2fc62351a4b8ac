package escpossim

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/port"
)

var ict = time.FixedZone("ICT", 7*3600)

func sampleTicket() escpos.Ticket {
	return escpos.Ticket{
		Centre:   "Trung tâm Phục vụ hành chính công",
		Subtitle: "Phường Ba Đình",
		Number:   "A012",
		Service:  "Hộ tịch",
		Counter:  "1, 2",
		Issued:   time.Date(2026, 11, 24, 9, 15, 2, 0, ict),
		Ahead:    5,
		Wait:     23 * time.Minute,
		TrackURL: "https://xephang.example.vn/track/3f9a1c2e7b",
		Booked:   true,
		Footer:   "Giờ làm việc: 7:30–17:00, thứ Hai–thứ Sáu\nĐường dây nóng: 1900 1234",
	}
}

// connect starts a simulator and opens it with the real serial driver.
func connect(t *testing.T, cfg Config, prof escpos.Profile) (*Printer, *escpos.Printer) {
	t.Helper()
	sim, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sp, err := port.OpenSerial(port.SerialConfig{Path: sim.Path(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sim, escpos.New(sp, sp, prof)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestPrintEveryProfileOnSimulator(t *testing.T) {
	for _, prof := range escpos.Profiles() {
		t.Run(prof.Name, func(t *testing.T) {
			dir := t.TempDir()
			sim, pr := connect(t, Config{Dir: dir, Dots: prof.Dots}, prof)
			if err := pr.PrintTicket(ctx(t), sampleTicket()); err != nil {
				t.Fatal(err)
			}
			jobs, err := sim.WaitJobs(ctx(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			j := jobs[0]
			want, _ := escpos.EncodeTicket(sampleTicket(), prof)
			raw, err := os.ReadFile(filepath.Join(dir, "0001.escpos"))
			if err != nil || string(raw) != string(want) || j.Bytes != len(want) {
				t.Fatalf("raw job: %d bytes, %v; want the %d bytes of the ticket without status requests", len(raw), err, len(want))
			}
			f, err := os.Open(filepath.Join(dir, "0001.png"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != prof.Dots || b.Dy() < 500 || b.Dy() > 2000 {
				t.Errorf("PNG %v", b)
			}
			if !j.Printed || !j.Info.Cut || len(j.Info.QR) != 1 || j.Info.QR[0] != sampleTicket().TrackURL {
				t.Errorf("job %+v", j)
			}
			text := j.Info.Text()
			if !strings.Contains(text, "A012") {
				t.Errorf("number not printed as text: %q", text)
			}
			if strings.ContainsAny(text, "?\uFFFD") {
				t.Errorf("printed a replacement character: %q", text)
			}
			var wantText []string
			switch prof.Text {
			case escpos.TextCP1258:
				wantText = []string{"TRUNG TÂM PHỤC VỤ", "PHƯỜNG BA ĐÌNH", "SỐ THỨ TỰ", "Hộ tịch", "Quầy phục vụ: 1, 2",
					"Số người đang chờ trước bạn: 5", "khoảng 25 phút", "ĐÃ ĐẶT LỊCH HẸN", "THỜI GIAN IN VÉ: 24/11/2026 - 09:15:02",
					"Giờ làm việc: 7:30–17:00", "Đường dây nóng: 1900 1234"}
				if j.Info.Raster != 0 {
					t.Errorf("%d raster images", j.Info.Raster)
				}
			case escpos.TextTCVN3:
				wantText = []string{"TRUNG TÂM PHỤC VỤ", "SỐ THỨ TỰ", "Hộ tịch", "Đường dây nóng"}
			case escpos.TextASCII:
				wantText = []string{"TRUNG TAM PHUC VU", "SO THU TU", "Ho tich", "DA DAT LICH HEN"}
			case escpos.TextRaster:
				wantText = []string{"A012", "--------"} // the only ASCII lines
				if j.Info.Raster < 8 {
					t.Errorf("%d raster images", j.Info.Raster)
				}
			}
			for _, w := range wantText {
				if !strings.Contains(text, w) {
					t.Errorf("no %q in the printed text:\n%s", w, text)
				}
			}
		})
	}
}

func TestSimulatorStatus(t *testing.T) {
	dir := t.TempDir()
	sim, pr := connect(t, Config{Dir: dir}, escpos.Raster80)
	c := ctx(t)

	sim.SetPaperOut(true)
	err := pr.PrintTicket(c, sampleTicket())
	var se *escpos.StatusError
	if !errors.As(err, &se) || !se.Status.PaperOut || se.Status.Reason() != "Máy in hết giấy" {
		t.Fatalf("paper out: %v", err)
	}
	sim.SetPaperOut(false)
	sim.SetCoverOpen(true)
	if err := pr.PrintTicket(c, sampleTicket()); !errors.As(err, &se) || !se.Status.CoverOpen {
		t.Fatalf("cover open: %v", err)
	}
	sim.SetCoverOpen(false)
	sim.SetNearEnd(true)
	st, err := pr.Status(c)
	if err != nil || !st.PaperNearEnd || !st.CanPrint() {
		t.Fatalf("near end: %+v %v", st, err)
	}
	if err := pr.PrintTicket(c, sampleTicket()); err != nil {
		t.Fatalf("near end must still print: %v", err)
	}
	jobs, err := sim.WaitJobs(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].N != 1 || !jobs[0].Printed {
		t.Errorf("jobs %+v", jobs)
	}
	// A job sent without asking while the paper is out is kept but not printed.
	sim.SetPaperOut(true)
	raw, _ := escpos.EncodeTicket(sampleTicket(), escpos.Raster80)
	if err := pr.Write(c, raw); err != nil {
		t.Fatal(err)
	}
	jobs, _ = sim.WaitJobs(c, 2)
	if jobs[1].Printed || jobs[1].PNG != "" || jobs[1].Raw == "" {
		t.Errorf("job while paper out: %+v", jobs[1])
	}
}

func TestSimulatorNumbersContinue(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "0041.escpos"), nil, 0o644)
	sim, pr := connect(t, Config{Dir: dir}, escpos.ASCII80)
	if err := pr.PrintTicket(ctx(t), sampleTicket()); err != nil {
		t.Fatal(err)
	}
	jobs, err := sim.WaitJobs(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if jobs[0].N != 42 || filepath.Base(jobs[0].PNG) != "0042.png" {
		t.Errorf("job %d %s", jobs[0].N, jobs[0].PNG)
	}
}

func TestSimulatorUnplug(t *testing.T) {
	sim, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := port.OpenSerial(port.SerialConfig{Path: sim.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	pr := escpos.New(sp, sp, escpos.Raster80)
	pr.StatusTimeout = 300 * time.Millisecond
	sim.Close()
	st, err := pr.Status(ctx(t))
	if err == nil || st.CanPrint() || st.Reason() == "" {
		t.Errorf("status of an unplugged printer: %+v %v", st, err)
	}
}

func TestDecodeStyles(t *testing.T) {
	data := []byte{0x1B, '@', 0x1B, 'a', 1, 0x1D, '!', 0x11, 'B', 'I', 'G', '\n', 0x1D, '!', 0,
		0x1B, 't', 52, 'H', 0xF4, 0xF2, '\n', 0x1B, 'd', 2, 0x1D, 'V', 66, 0}
	img, info := Decode(data, 384, nil)
	if info.Text() != "BIG\nHộ" || !info.Cut {
		t.Errorf("info %+v", info)
	}
	if img.Bounds().Dx() != 384 || img.Bounds().Dy() < 48+30+60 {
		t.Errorf("image %v", img.Bounds())
	}
	// Double size is centred: ink starts near (384 - 3×24)/2.
	left := -1
	for x := 0; x < 384 && left < 0; x++ {
		for y := 0; y < 54; y++ {
			if img.GrayAt(x, y).Y < 128 {
				left = x
				break
			}
		}
	}
	if left < 140 || left > 170 {
		t.Errorf("centred double-size text starts at x=%d", left)
	}
}

func FuzzDecode(f *testing.F) {
	golden, _ := filepath.Glob("../testdata/*.escpos")
	for _, g := range golden {
		if b, err := os.ReadFile(g); err == nil {
			f.Add(b)
		}
	}
	for _, seed := range [][]byte{
		{0x1B, '@', 0x1B, 'a', 1, 0x1B, 'E', 1, 'A', '\n', 0x1D, '!', 0x55, 'B', '\n', 0x1D, 'V', 66, 0},
		{0x1B, 't', 52, 'H', 0xF4, 0xF2, '\n', 0x1B, 't', 30, 0xA7, 0xB5, '\n', 0x1B, 't', 31, 0xE8, '\n'},
		{0x1D, 'v', '0', 0, 1, 0, 2, 0, 0xF0, 0x0F, 0x1B, 'd', 2},
		{0x1D, 'v', '0', 0, 0xFF, 0xFF, 0xFF, 0xFF},
		{0x1D, '(', 'k', 4, 0, 49, 65, 50, 0, 0x1D, '(', 'k', 3, 0, 49, 67, 4, 0x1D, '(', 'k', 5, 0, 49, 80, 48, 'x', 'y', 0x1D, '(', 'k', 3, 0, 49, 81, 48},
		{0x10, 0x04, 1, 0x1B, '3', 10, 0x1B, '!', 0xB8, 'u', '\n', 0x1D, 'B', 1, 'r', 0x1B, '*', 0, 2, 0, 0xFF, 0xFF},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			data = data[:4096]
		}
		// Layout only: every command is parsed and every limit applies, but
		// no pixels are drawn (drawing under coverage instrumentation is too
		// slow to fuzz; TestDecodeStyles and the ticket tests cover it).
		img, info := decode(data, 384, nil, true)
		if img.Bounds().Dx() != 384 {
			t.Fatalf("image %v", img.Bounds())
		}
		if len(info.Lines) > len(data) {
			t.Fatalf("%d lines from %d bytes", len(info.Lines), len(data))
		}
	})
}
