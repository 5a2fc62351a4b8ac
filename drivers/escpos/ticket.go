package escpos

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Ticket is what a queue ticket shows, as Vietnamese centres print them.
type Ticket struct {
	Centre   string        // e.g. "Trung tâm Phục vụ hành chính công"; printed in capitals
	Subtitle string        // e.g. "Phường Ba Đình"; printed in capitals
	Number   string        // e.g. "A012": A–Z, 0–9 and '-', printed in the printer's font, very large
	Service  string        // e.g. "Hộ tịch"
	Counter  string        // counter(s) serving it, e.g. "1, 2"; empty when not known
	Issued   time.Time     // printed in its own location as dd/mm/yyyy - hh:mm:ss
	Ahead    int           // people waiting before this ticket; negative when unknown
	Wait     time.Duration // estimated wait; zero or negative when unknown
	TrackURL string        // printed as a QR code (GS ( k); empty for none
	Booked   bool          // the ticket came from an online booking
	Footer   string        // last lines, e.g. opening hours or a hotline; "\n" separates lines
	English  bool          // labels in English instead of Vietnamese
}

// labels are the fixed words of a ticket.
type labels struct {
	number, counter, ahead, next, wait, booked, scan, printed string
	minutes                                                   func(time.Duration) string
}

var labelsVI = labels{
	number: "SỐ THỨ TỰ", counter: "Quầy phục vụ: ", ahead: "Số người đang chờ trước bạn: ",
	next: "Bạn là người tiếp theo", wait: "Thời gian chờ dự kiến: khoảng ", booked: "ĐÃ ĐẶT LỊCH HẸN",
	scan: "Quét mã để theo dõi lượt của bạn", printed: "THỜI GIAN IN VÉ: ",
	minutes: func(d time.Duration) string { return humanWait(d, "giờ", "phút") },
}

var labelsEN = labels{
	number: "QUEUE NUMBER", counter: "Counter: ", ahead: "People waiting before you: ",
	next: "You are next", wait: "Estimated wait: about ", booked: "BOOKED APPOINTMENT",
	scan: "Scan to follow your turn", printed: "PRINTED AT: ",
	minutes: func(d time.Duration) string { return humanWait(d, "h", "min") },
}

// humanWait rounds a wait up to the next 5 minutes: "25 phút", "1 giờ 10 phút".
func humanWait(d time.Duration, hour, minute string) string {
	m := int((d + 5*time.Minute - 1) / (5 * time.Minute) * 5)
	switch {
	case m < 60:
		return fmt.Sprintf("%d %s", m, minute)
	case m%60 == 0:
		return fmt.Sprintf("%d %s", m/60, hour)
	}
	return fmt.Sprintf("%d %s %d %s", m/60, hour, m%60, minute)
}

// MaxTrackURL is the longest tracking URL printed as a QR code.
const MaxTrackURL = 512

func (t *Ticket) validate() error {
	if t.Number == "" || len(t.Number) > 8 {
		return fmt.Errorf("escpos: number %q: %w", t.Number, ErrBadTicket)
	}
	for _, r := range t.Number {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("escpos: number %q: %w", t.Number, ErrBadTicket)
		}
	}
	if len(t.TrackURL) > MaxTrackURL {
		return fmt.Errorf("escpos: tracking URL longer than %d bytes: %w", MaxTrackURL, ErrBadTicket)
	}
	for i := 0; i < len(t.TrackURL); i++ {
		if t.TrackURL[i] < 0x21 || t.TrackURL[i] > 0x7e {
			return fmt.Errorf("escpos: tracking URL must be printable ASCII: %w", ErrBadTicket)
		}
	}
	for _, s := range []string{t.Centre, t.Subtitle, t.Service, t.Counter, t.Footer} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("escpos: text is not UTF-8: %w", ErrBadTicket)
		}
	}
	return nil
}

// EncodeTicket returns the ESC/POS bytes of t for printer profile p, from
// ESC @ to the cut.
func EncodeTicket(t Ticket, p Profile) ([]byte, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	lb := labelsVI
	if t.English {
		lb = labelsEN
	}
	j := &job{p: p, buf: make([]byte, 0, 4096)}
	j.raw(0x1B, '@') // initialise
	if p.Text == TextCP1258 || p.Text == TextTCVN3 {
		j.selectPage(p.CodePage)
	}
	j.raw(0x1B, 'a', 1) // centre everything
	for _, s := range []string{t.Centre, t.Subtitle} {
		if s = clean(s); s != "" {
			j.line(strings.ToUpper(s), styleTitle)
		}
	}
	j.line(strings.Repeat("-", p.Columns*2/3), styleBody)
	j.line(lb.number, styleBold)
	j.number(t.Number)
	if s := clean(t.Service); s != "" {
		j.line(s, styleBig)
	}
	if s := clean(t.Counter); s != "" {
		j.line(lb.counter+s, styleBody)
	}
	switch {
	case t.Ahead == 0:
		j.line(lb.next, styleBody)
	case t.Ahead > 0:
		j.line(fmt.Sprintf("%s%d", lb.ahead, t.Ahead), styleBody)
	}
	if t.Wait > 0 {
		j.line(lb.wait+lb.minutes(t.Wait), styleBody)
	}
	if t.Booked {
		j.feed(1)
		j.line(lb.booked, styleMark)
	}
	if t.TrackURL != "" {
		j.feed(1)
		j.qr(t.TrackURL)
		j.line(lb.scan, styleSmall)
	}
	j.feed(1)
	issued := t.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	j.line(lb.printed+issued.Format("02/01/2006 - 15:04:05"), styleBody)
	for _, f := range strings.Split(t.Footer, "\n") {
		if f = clean(f); f != "" {
			j.line(f, styleSmall)
		}
	}
	j.raw(0x1B, 'a', 0)
	j.raw(0x1B, 'd', 4)     // feed past the cutter
	j.raw(0x1D, 'V', 66, 0) // feed and partial cut
	if j.err != nil {
		return nil, j.err
	}
	return j.buf, nil
}

// clean puts s in NFC, drops control characters and collapses spaces.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, norm.NFC.String(s))
	return strings.Join(strings.Fields(s), " ")
}

// style is how one line of text is set.
type style struct {
	bold   bool
	double bool // double height in the printer's font; 1.5× in raster
	invert bool // white on black
	small  bool // raster only: a smaller face
	title  bool // raster only: the centre's name, large where the paper allows
}

var (
	styleBody  = style{}
	styleBold  = style{bold: true}
	styleTitle = style{bold: true, title: true}
	styleBig   = style{bold: true, double: true}
	styleMark  = style{bold: true, invert: true}
	styleSmall = style{small: true}
)

// job accumulates the bytes of one ticket.
type job struct {
	p    Profile
	buf  []byte
	page byte // code page selected now
	err  error
	gap  int // blank dots below the last raster line, not fed yet
}

func (j *job) raw(b ...byte) {
	j.flushGap()
	j.buf = append(j.buf, b...)
}

// flushGap feeds the blank dots raster lines left (ESC J, at most 255 a
// time), so white rows are never sent as image data.
func (j *job) flushGap() {
	for j.gap > 0 {
		n := min(j.gap, 255)
		j.buf = append(j.buf, 0x1B, 'J', byte(n))
		j.gap -= n
	}
}

func (j *job) feed(n byte) { j.raw(0x1B, 'd', n) }

func (j *job) selectPage(n byte) {
	j.raw(0x1B, 't', n)
	j.page = n
}

// number prints the ticket number in the printer's own font, as large as fits.
func (j *job) number(n string) {
	x := int(j.p.NumberX)
	for x > 1 && len(n)*12*x > j.p.Dots {
		x--
	}
	j.raw(0x1B, 'E', 1, 0x1D, '!', byte((x-1)<<4|(x-1)))
	j.raw([]byte(n)...)
	j.raw('\n', 0x1D, '!', 0, 0x1B, 'E', 0)
}

// qr prints data as a QR code with GS ( k: model 2, module size, error
// correction M, store, print.
func (j *job) qr(data string) {
	n := len(data) + 3
	j.raw(0x1D, '(', 'k', 4, 0, 49, 65, 50, 0)
	j.raw(0x1D, '(', 'k', 3, 0, 49, 67, j.p.QRModule)
	j.raw(0x1D, '(', 'k', 3, 0, 49, 69, 49)
	j.raw(0x1D, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
	j.raw([]byte(data)...)
	j.raw(0x1D, '(', 'k', 3, 0, 49, 81, 48)
	j.raw('\n')
}

// line prints one logical line, wrapped to the paper, the way the profile
// prints text: ASCII lines always in the printer's font.
func (j *job) line(s string, st style) {
	if j.err != nil || s == "" {
		return
	}
	if isASCII(s) && !(st.invert && j.p.Text == TextRaster) {
		j.textLines(s, s, st, nil)
		return
	}
	switch j.p.Text {
	case TextRaster:
		if head, tail, ok := splitASCIITail(s); ok && !st.invert {
			j.rasterLines(head, st)
			j.textLines(tail, tail, st, nil)
			return
		}
		j.rasterLines(s, st)
	case TextCP1258:
		j.textLines(s, "", st, func(part string) ([]byte, byte, error) {
			b, err := EncodeCP1258(part)
			return b, j.p.CodePage, err
		})
	case TextTCVN3:
		j.textLines(s, "", st, func(part string) ([]byte, byte, error) {
			page, b, err := EncodeTCVN3(part)
			return b, page, err
		})
	default:
		j.textLines(ToASCII(s), ToASCII(s), st, nil)
	}
}

// minASCIITail is the shortest value after a label worth its own line in
// the printer's font: a time, a date, a phone number.
const minASCIITail = 8

// splitASCIITail splits "THỜI GIAN IN VÉ: 24/11/2026 - 09:15:02" into the
// label "THỜI GIAN IN VÉ:", drawn as raster, and the value, which goes
// under it in the printer's font for a fraction of the bytes: the raster
// profiles send as raster only what the printer's font cannot print.
func splitASCIITail(s string) (head, tail string, ok bool) {
	i := strings.LastIndex(s, ": ")
	if i <= 0 {
		return "", "", false
	}
	head, tail = s[:i+1], strings.TrimSpace(s[i+2:])
	if len(tail) < minASCIITail || !isASCII(tail) || isASCII(head) {
		return "", "", false
	}
	return head, tail, true
}

// textLines prints s in the printer's font, wrapped to the columns; enc
// encodes a non-ASCII part (nil for ASCII). If any part cannot be encoded
// the whole line goes as raster, or as ASCII when the profile has no raster.
func (j *job) textLines(s, ascii string, st style, enc func(string) ([]byte, byte, error)) {
	cols := j.p.Columns
	parts := wrap(s, func(p string) bool { return textWidth(p) <= cols })
	type encoded struct {
		b    []byte
		page byte
	}
	var out []encoded
	for _, part := range parts {
		if enc == nil {
			out = append(out, encoded{[]byte(part), j.page})
			continue
		}
		b, page, err := enc(part)
		if err != nil {
			if !errors.Is(err, ErrUnencodable) {
				j.err = err
				return
			}
			if j.p.Raster {
				j.rasterLines(s, st)
			} else {
				j.textLines(ToASCII(s), ToASCII(s), st, nil)
			}
			return
		}
		out = append(out, encoded{b, page})
	}
	mode := byte(0)
	if st.double {
		mode = 0x01 // double height keeps the columns
	}
	if st.bold {
		j.raw(0x1B, 'E', 1)
	}
	if mode != 0 {
		j.raw(0x1D, '!', mode)
	}
	if st.invert {
		j.raw(0x1D, 'B', 1)
	}
	for _, e := range out {
		if enc != nil && e.page != j.page {
			j.selectPage(e.page)
		}
		j.raw(e.b...)
		j.raw('\n')
	}
	if st.invert {
		j.raw(0x1D, 'B', 0)
	}
	if mode != 0 {
		j.raw(0x1D, '!', 0)
	}
	if st.bold {
		j.raw(0x1B, 'E', 0)
	}
	if j.p.Text == TextTCVN3 && j.page != j.p.CodePage {
		j.selectPage(j.p.CodePage)
	}
}

// Raster face sizes, in dots of the bitmap: the smallest at which every
// toned letter stays apart from its neighbours (TestDiacriticsSurvive in
// escpossim; at 16 dots é and ẻ, Ò and Ó come out the same).
const (
	rasterBody   = 20 // body text: about the printer's 12×24 font A
	rasterSmall  = 18 // the small lines (QR caption, footer)
	rasterBold80 = 22 // bold headings (SỐ THỨ TỰ, the booking mark)
	rasterBold58 = 20
	// rasterQuad is the size drawn for lines printed at GS v 0 m=3 (twice as
	// wide and high, so 34 dots on paper): the service name and the
	// centre's name. Below about 16 dots the stacked marks of capitals
	// (Ấ, Ẫ, Ặ) run together once doubled.
	rasterQuad = 17
)

// rasterSpec returns how a raster line of style st is drawn: the face size
// px in dots of the bitmap, and quad when the bitmap is printed at GS v 0
// m=3, twice as wide and as high, for a quarter of the bytes of the same
// line drawn dot for dot. Only large text is doubled: Vietnamese marks are
// a few dots wide and need every one at body size (halving the columns
// alone, m=1, flattens the tilde of Ã into a bar, so no line uses it).
// TestDiacriticsSurvive in escpossim checks every toned letter stays apart
// from its neighbours at each of these sizes.
func rasterSpec(p Profile, st style) (px int, quad bool) {
	switch {
	case st.double, st.title:
		return rasterQuad, true
	case st.small:
		return rasterSmall, false
	case st.bold && p.Dots < 500:
		return rasterBold58, false
	case st.bold:
		return rasterBold80, false
	}
	return rasterBody, false
}

// rasterLines draws s with the embedded font, wrapped to the paper width,
// one GS v 0 image per line, cropped to its ink; the blank dots between
// lines are fed with ESC J.
func (j *job) rasterLines(s string, st style) {
	fs, err := loadFonts()
	if err != nil {
		j.err = err
		return
	}
	px, quad := rasterSpec(j.p, st)
	limit := j.p.Dots - 16
	if quad {
		limit /= 2
	}
	var werr error
	fitsIn := func(limit int) func(string) bool {
		return func(p string) bool {
			w, err := fs.measure(p, st.bold, px)
			if err != nil {
				werr = err
			}
			return w <= limit
		}
	}
	parts := wrap(s, fitsIn(limit))
	// Balance a wrapped line: the narrowest width that needs no more lines,
	// so "TRUNG TÂM PHỤC VỤ / HÀNH CHÍNH CÔNG" rather than a lone last word.
	if n := len(parts); n > 1 {
		lo, hi := limit/2, limit // hi always fits in n lines
		for lo < hi {
			if mid := (lo + hi) / 2; len(wrap(s, fitsIn(mid))) <= n {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		parts = wrap(s, fitsIn(hi))
	}
	if werr != nil {
		j.err = werr
		return
	}
	for _, part := range parts {
		rl, err := fs.render(part, st.bold, px, quad, st.invert)
		if err != nil {
			j.err = err
			return
		}
		j.gap += rl.above
		j.flushGap()
		j.buf = appendRaster(j.buf, rl.bm, rl.mode)
		j.gap = rl.below
	}
}

// textWidth is the number of printed columns of s: combining marks take none.
func textWidth(s string) int {
	n := 0
	for _, r := range norm.NFC.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			n++
		}
	}
	return n
}

// wrap splits s into lines that fit, at spaces when it can, inside a word
// when a word alone does not fit.
func wrap(s string, fits func(string) bool) []string {
	if fits(s) {
		return []string{s}
	}
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		if fits(try) {
			cur = try
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
		}
		cur = ""
		for utf8.RuneCountInString(w) > 1 && !fits(w) {
			runes := []rune(w)
			k := len(runes) - 1
			for k > 1 && !fits(string(runes[:k])) {
				k--
			}
			lines = append(lines, string(runes[:k]))
			w = string(runes[k:])
		}
		cur = w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
