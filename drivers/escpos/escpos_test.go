package escpos

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var ict = time.FixedZone("ICT", 7*3600)

// SampleTicket is the ticket of the golden files.
func sampleTicket() Ticket {
	return Ticket{
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

func TestEncodeCP1258(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Đà Nẵng", "d0 61 cc 20 4e e3 de 6e 67"}, // the example of the issue
		{"Nguyễn", "4e 67 75 79 ea de 6e"},
		{"đường", "f0 fd f5 cc 6e 67"},
		{"Hoà Thuỷ", "48 6f 61 cc 20 54 68 75 79 d2"},
		{"Ư Ơ Ă Â Ê Ô", "dd 20 d5 20 c3 20 c2 20 ca 20 d4"},
		{"ặ ộ ự", "e3 f2 20 f4 f2 20 fd f2"},
		{"1.000 ₫", "31 2e 30 30 30 20 fe"},
	}
	for _, tc := range tests {
		for _, form := range []norm.Form{norm.NFC, norm.NFD} {
			got, err := EncodeCP1258(form.String(tc.in))
			if err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
			if h := spacedHex(got); h != tc.want {
				t.Errorf("EncodeCP1258(%q) = %s, want %s", tc.in, h, tc.want)
			}
			if back := DecodeCP1258(got); back != norm.NFC.String(tc.in) {
				t.Errorf("round trip of %q gave %q", tc.in, back)
			}
		}
	}
	for _, in := range []string{"漢字", "😀", "ǅ"} {
		if _, err := EncodeCP1258(in); !errors.Is(err, ErrUnencodable) {
			t.Errorf("EncodeCP1258(%q) = %v, want ErrUnencodable", in, err)
		}
	}
}

func spacedHex(b []byte) string {
	h := hex.EncodeToString(b)
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, " ")
}

func TestEncodeTCVN3(t *testing.T) {
	tests := []struct {
		in   string
		page byte
		want string
	}{
		{"Đà Nẵng", PageTCVN3, "a7 b5 20 4e bd 6e 67"},
		{"Hộ tịch", PageTCVN3, "48 e9 20 74 de 63 68"},
		{"SỐ THỨ TỰ", PageTCVN3Capital, "73 e8 20 74 68 f8 20 74 f9"},
		{"PHƯỜNG", PageTCVN3Capital, "70 68 ad ea 6e 67"},
		{"ĐÂU", PageTCVN3, "a7 a2 55"}, // capitals TCVN3 has: no page switch
	}
	for _, tc := range tests {
		page, got, err := EncodeTCVN3(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if page != tc.page || spacedHex(got) != tc.want {
			t.Errorf("EncodeTCVN3(%q) = page %d %s, want %d %s", tc.in, page, spacedHex(got), tc.page, tc.want)
		}
		if back := DecodeTCVN3(page, got); back != tc.in {
			t.Errorf("round trip of %q gave %q", tc.in, back)
		}
	}
	for _, in := range []string{"Ủy ban", "ẞ", "€"} {
		if _, _, err := EncodeTCVN3(in); !errors.Is(err, ErrUnencodable) {
			t.Errorf("EncodeTCVN3(%q) = %v, want ErrUnencodable", in, err)
		}
	}
}

func TestToASCII(t *testing.T) {
	for in, want := range map[string]string{
		"Đà Nẵng":               "Da Nang",
		"TRUNG TÂM PHỤC VỤ":     "TRUNG TAM PHUC VU",
		"7:30–17:00 … “ok” 漢 ₫": "7:30-17:00 ... \"ok\"  d",
	} {
		if got := ToASCII(in); got != want {
			t.Errorf("ToASCII(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTicketGolden compares every profile's bytes with testdata/*.escpos;
// run with -update after a deliberate change and look at the PNGs the
// simulator renders from them.
func TestTicketGolden(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			got, err := EncodeTicket(sampleTicket(), p)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "ticket-"+p.Name+".escpos")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once)", err)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("%d bytes, golden %d; first difference at byte %d", len(got), len(want), i)
			}
		})
	}
}

func TestTicketStructure(t *testing.T) {
	tk := sampleTicket()
	for _, p := range Profiles() {
		b, err := EncodeTicket(tk, p)
		if err != nil {
			t.Fatal(err)
		}
		must := func(what string, seq []byte) {
			t.Helper()
			if !bytes.Contains(b, seq) {
				t.Errorf("%s: no %s (% x)", p.Name, what, seq)
			}
		}
		must("initialise", []byte{0x1B, '@'})
		must("number in the printer's font, large", append([]byte{0x1D, '!', (p.NumberX-1)<<4 | (p.NumberX - 1)}, "A012\n"...))
		must("QR store", append([]byte{0x1D, '(', 'k', byte(len(tk.TrackURL) + 3), 0, 49, 80, 48}, tk.TrackURL...))
		must("QR print", []byte{0x1D, '(', 'k', 3, 0, 49, 81, 48})
		must("cut", []byte{0x1D, 'V', 66, 0})
		// The time goes in the printer's font in every profile: raster
		// profiles print the label as raster and the value under it.
		must("date", []byte("24/11/2026"))
		must("time", []byte("09:15:02\n"))
		if !bytes.HasPrefix(b, []byte{0x1B, '@'}) || !bytes.HasSuffix(b, []byte{0x1D, 'V', 66, 0}) {
			t.Errorf("%s: does not run from ESC @ to the cut", p.Name)
		}
		if p.Text != TextRaster && p.Text != TextTCVN3 && bytes.Contains(b, []byte("?")) {
			t.Errorf("%s: a '?' was printed", p.Name)
		}
		raster := bytes.Count(b, []byte{0x1D, 'v', '0'})
		switch p.Text {
		case TextRaster:
			if raster < 5 {
				t.Errorf("%s: %d raster lines", p.Name, raster)
			}
			// Plain ASCII lines stay text even in raster mode.
			must("ASCII separator as text", []byte("--------"))
			must("hotline as text", []byte("1900 1234\n"))
			must("service at GS v 0 m=3", []byte{0x1D, 'v', '0', 3})
		case TextCP1258:
			must("code page", []byte{0x1B, 't', p.CodePage})
			must("Hộ tịch in CP1258", []byte{'H', 0xF4, 0xF2, ' ', 't', 'i', 0xF2, 'c', 'h'})
			if raster != 0 {
				t.Errorf("%s: %d raster lines; CP1258 has every character of the sample", p.Name, raster)
			}
		case TextTCVN3:
			must("TCVN3 page", []byte{0x1B, 't', PageTCVN3})
			must("capitals page", []byte{0x1B, 't', PageTCVN3Capital})
		case TextASCII:
			if raster != 0 {
				t.Errorf("%s: raster in an ASCII profile", p.Name)
			}
			must("folded text", []byte("Ho tich"))
		}
		for i := 0; i+2 < len(b); i++ {
			if b[i] == 0x10 && (b[i+1] == 0x04 || b[i+1] == 0x05 || b[i+1] == 0x14) {
				t.Errorf("%s: real-time command sequence % x at %d", p.Name, b[i:i+3], i)
			}
		}
	}
}

func TestCodePageFallsBackToRaster(t *testing.T) {
	tk := sampleTicket()
	tk.Footer = "Hỗ trợ: 漢字"
	b, err := EncodeTicket(tk, EpsonCP1258)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte{0x1D, 'v', '0'}) == 0 {
		t.Error("a line CP1258 lacks was not rasterised")
	}
	b, err = EncodeTicket(tk, ASCII80)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("Ho tro: \n")) {
		t.Error("ASCII profile did not fold the line")
	}
}

func TestTicketOptionalParts(t *testing.T) {
	tk := Ticket{Centre: "UBND", Number: "B1000", Ahead: -1, Issued: time.Date(2026, 1, 2, 3, 4, 5, 0, ict)}
	b, err := EncodeTicket(tk, Raster58)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range [][]byte{{0x1D, '(', 'k'}, []byte("trước bạn")} {
		if bytes.Contains(b, absent) {
			t.Errorf("unexpected % x", absent)
		}
	}
	tk.Ahead = 0
	tk.English = true
	tk.Wait = 61 * time.Minute
	b, _ = EncodeTicket(tk, ASCII58)
	for _, s := range []string{"You are next", "about 1 h 5 min", "QUEUE NUMBER", "PRINTED AT: ", "02/01/2026"} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("no %q", s)
		}
	}
}

func TestTicketValidation(t *testing.T) {
	for name, mod := range map[string]func(*Ticket){
		"empty number":     func(t *Ticket) { t.Number = "" },
		"lower case":       func(t *Ticket) { t.Number = "a012" },
		"escape in number": func(t *Ticket) { t.Number = "A\x1b@" },
		"long number":      func(t *Ticket) { t.Number = "A123456789" },
		"url with space":   func(t *Ticket) { t.TrackURL = "https://x/ y" },
		"long url":         func(t *Ticket) { t.TrackURL = "https://x/" + strings.Repeat("a", MaxTrackURL) },
		"bad utf-8":        func(t *Ticket) { t.Service = "\xff" },
	} {
		tk := sampleTicket()
		mod(&tk)
		if _, err := EncodeTicket(tk, Raster80); !errors.Is(err, ErrBadTicket) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Control characters in text are dropped, not sent to the printer.
	tk := sampleTicket()
	tk.Service = "Hộ\x1b@tịch\x10\x04\x01"
	b, err := EncodeTicket(tk, EpsonCP1258)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte{0x1B, '@'}) != 1 {
		t.Error("an ESC @ from a text field reached the printer")
	}
}

func TestWrap(t *testing.T) {
	fits := func(n int) func(string) bool { return func(s string) bool { return len([]rune(s)) <= n } }
	got := wrap("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", fits(12))
	want := []string{"TRUNG TÂM", "PHỤC VỤ HÀNH", "CHÍNH CÔNG"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrap = %q", got)
	}
	if got := wrap("abcdefghij", fits(4)); strings.Join(got, "|") != "abcd|efgh|ij" {
		t.Errorf("long word: %q", got)
	}
	if got := wrap("x y", fits(0)); len(got) == 0 {
		t.Error("nothing fits: no lines")
	}
}

func TestRasterLineIsCroppedAndDefused(t *testing.T) {
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	rl, err := fs.render("Đà Nẵng", false, 22, false, false)
	if err != nil {
		t.Fatal(err)
	}
	bm := rl.bm
	// Cropped to the ink both ways: the blank part of the line box is fed
	// (ESC J), not sent as white rows.
	if rl.mode != 0 || rl.above < 1 || rl.below < 1 || rl.above+bm.Height+rl.below < 30 {
		t.Errorf("line box: mode %d, %d above, %d rows, %d below", rl.mode, rl.above, bm.Height, rl.below)
	}
	for _, y := range []int{0, bm.Height - 1} {
		row := 0
		for x := 0; x < bm.Width; x++ {
			if bm.At(x, y) {
				row++
			}
		}
		if row == 0 {
			t.Errorf("row %d of the cropped bitmap is blank", y)
		}
	}
	if bm.Width < 60 || bm.Width > 120 || bm.Height < 22 || bm.Height > 40 {
		t.Errorf("bitmap %dx%d", bm.Width, bm.Height)
	}
	black := 0
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			if bm.At(x, y) {
				black++
			}
		}
	}
	if black < 100 {
		t.Errorf("only %d black dots", black)
	}
	// The tilde of ẵ sits above the breve: ink above the cap height.
	b := []byte{0x10, 0x04, 0x10, 0x14, 0x10, 0x05, 0x10, 0x10, 0x04}
	defuseRealtime(b)
	if spacedHex(b) != "10 00 10 10 10 01 10 10 00" {
		t.Errorf("defused: %s", spacedHex(b))
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		want    Status
		can     bool
		reason  string
	}{
		{"ready", [4]byte{0x16, 0x12, 0x12, 0x12}, Status{}, true, ""},
		{"near end", [4]byte{0x16, 0x12, 0x12, 0x1E}, Status{PaperNearEnd: true}, true, "Giấy in sắp hết, cần thay cuộn giấy mới"},
		{"paper out", [4]byte{0x1E, 0x32, 0x12, 0x7E}, Status{Offline: true, PaperOut: true, PaperNearEnd: true}, false, "Máy in hết giấy"},
		{"cover open", [4]byte{0x1E, 0x16, 0x12, 0x12}, Status{Offline: true, CoverOpen: true}, false, "Nắp máy in đang mở"},
		{"cutter", [4]byte{0x1E, 0x52, 0x1A, 0x12}, Status{Offline: true, Error: true, CutterError: true}, false, "Dao cắt giấy bị kẹt"},
		{"offline", [4]byte{0x1E, 0x12, 0x12, 0x12}, Status{Offline: true}, false, "Máy in đang tạm dừng (offline)"},
	}
	for _, tc := range tests {
		got, err := ParseStatus(tc.replies)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want || got.CanPrint() != tc.can || got.Reason() != tc.reason {
			t.Errorf("%s: %+v can %v reason %q", tc.name, got, got.CanPrint(), got.Reason())
		}
	}
	if _, err := ParseStatus([4]byte{0x16, 0x00, 0x12, 0x12}); err == nil {
		t.Error("accepted a byte that is not a status reply")
	}
	if (Status{NoReply: true}).Reason() == "" || (Status{NoReply: true}).CanPrint() {
		t.Error("no reply must not print and must say why")
	}
}

func TestStatusRepliesRoundTrip(t *testing.T) {
	for _, s := range []Status{{}, {PaperNearEnd: true}, {Offline: true, PaperOut: true, PaperNearEnd: true},
		{Offline: true, CoverOpen: true}, {Offline: true, Error: true, CutterError: true}} {
		got, err := ParseStatus(s.Replies())
		if err != nil || got != s {
			t.Errorf("%+v → % x → %+v, %v", s, s.Replies(), got, err)
		}
	}
}

// fakePrinter answers status requests with fixed replies, after garbage.
type fakePrinter struct {
	replies [4]byte
	garbage []byte
	out     bytes.Buffer
	pr      *io.PipeReader
	pw      *io.PipeWriter
}

func newFake(s Status, garbage []byte) *fakePrinter {
	f := &fakePrinter{replies: s.Replies(), garbage: garbage}
	f.pr, f.pw = io.Pipe()
	return f
}

func (f *fakePrinter) Write(b []byte) (int, error) {
	f.out.Write(b)
	if len(b) == 3 && b[0] == 0x10 && b[1] == 0x04 && b[2] >= 1 && b[2] <= 4 {
		reply := append(append([]byte{}, f.garbage...), f.replies[b[2]-1])
		go f.pw.Write(reply)
	}
	return len(b), nil
}

func TestPrinterRefusesWhenPaperOut(t *testing.T) {
	f := newFake(Status{Offline: true, PaperOut: true}, []byte{0x00, 0xFF})
	p := New(f, f.pr, Raster80)
	err := p.PrintTicket(context.Background(), sampleTicket())
	var se *StatusError
	if !errors.Is(err, ErrCannotPrint) || !errors.As(err, &se) || !se.Status.PaperOut {
		t.Fatalf("err = %v", err)
	}
	if se.Status.Reason() != "Máy in hết giấy" {
		t.Errorf("reason %q", se.Status.Reason())
	}
	if bytes.Contains(f.out.Bytes(), []byte{0x1B, '@'}) {
		t.Error("ticket bytes were sent to a printer without paper")
	}
}

func TestPrinterPrintsWhenNearEnd(t *testing.T) {
	f := newFake(Status{PaperNearEnd: true}, nil)
	p := New(f, f.pr, EpsonCP1258)
	if err := p.PrintTicket(context.Background(), sampleTicket()); err != nil {
		t.Fatal(err)
	}
	want, _ := EncodeTicket(sampleTicket(), EpsonCP1258)
	if !bytes.HasSuffix(f.out.Bytes(), want) {
		t.Error("the ticket was not sent whole after the status requests")
	}
}

func TestPrinterNoReply(t *testing.T) {
	pr, _ := io.Pipe()
	p := New(io.Discard, pr, Raster80)
	p.StatusTimeout = 50 * time.Millisecond
	st, err := p.Status(context.Background())
	if !errors.Is(err, ErrNoReply) || !st.NoReply || st.CanPrint() {
		t.Fatalf("st %+v err %v", st, err)
	}
	if err := p.PrintTicket(context.Background(), sampleTicket()); !errors.Is(err, ErrNoReply) {
		t.Errorf("PrintTicket without replies: %v", err)
	}
	one := New(io.Discard, nil, Raster80)
	if _, err := one.Status(context.Background()); !errors.Is(err, ErrNoStatus) {
		t.Errorf("one-way printer: %v", err)
	}
	if err := one.PrintTicket(context.Background(), sampleTicket()); err != nil {
		t.Errorf("one-way printer prints without asking: %v", err)
	}
}

func TestPrinterCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New(io.Discard, nil, Raster80).PrintTicket(ctx, sampleTicket()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// FuzzStatusReplies feeds arbitrary reply streams to Status: it never hangs
// or panics, and returns a parsed status only from well-formed replies.
func FuzzStatusReplies(f *testing.F) {
	f.Add([]byte{0x16, 0x12, 0x12, 0x12})
	f.Add([]byte{0x00, 0x1E, 0xFF, 0x32, 0x12, 0x7E})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var replies [4]byte
		copy(replies[:], in)
		if st, err := ParseStatus(replies); err == nil {
			if _, err := ParseStatus(st.Replies()); err != nil {
				t.Fatal(err)
			}
		}
		p := New(io.Discard, bytes.NewReader(in), Raster80)
		p.StatusTimeout = 5 * time.Millisecond
		st, err := p.Status(context.Background())
		if err == nil {
			n := 0
			for _, b := range in {
				if IsStatusByte(b) {
					n++
				}
			}
			if n < 4 {
				t.Fatalf("status %+v from %d reply bytes", st, n)
			}
		} else if st.CanPrint() {
			t.Fatalf("error %v but CanPrint", err)
		}
	})
}

func TestEncodeLines(t *testing.T) {
	lines := []Line{{Text: "KIỂM TRA HỒ SƠ", Bold: true, Centre: true}, {Text: "[x] Tờ khai đăng ký khai sinh"}, {}, {Text: "ASCII only line", Small: true}}
	for _, p := range Profiles() {
		b, err := EncodeLines(lines, p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if !bytes.HasPrefix(b, []byte{0x1B, '@'}) || !bytes.HasSuffix(b, []byte{0x1D, 'V', 66, 0}) {
			t.Errorf("%s: not a whole job", p.Name)
		}
		if !bytes.Contains(b, []byte("ASCII only line\n")) {
			t.Errorf("%s: the ASCII line is not in the printer's font", p.Name)
		}
		for i := 0; i+1 < len(b); i++ {
			if b[i] == 0x10 && (b[i+1] == 0x04 || b[i+1] == 0x05 || b[i+1] == 0x14) {
				t.Fatalf("%s: real-time command at %d", p.Name, i)
			}
		}
		switch p.Text {
		case TextCP1258:
			enc, _ := EncodeCP1258("[x] Tờ khai đăng ký khai sinh")
			if !bytes.Contains(b, enc) {
				t.Errorf("%s: the Vietnamese line is not in CP1258", p.Name)
			}
		case TextRaster:
			if !bytes.Contains(b, []byte{0x1D, 'v', '0'}) {
				t.Errorf("%s: no raster line", p.Name)
			}
		}
	}
}
