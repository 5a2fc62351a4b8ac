package escpossim

import (
	"bytes"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/escpos"
)

// vietnameseGroups are the letters of Vietnamese, each group a base letter
// with its vowel mark (a ă â e ê i o ô ơ u ư y) and the five tones: the
// letters a reader must tell apart.
func vietnameseGroups() [][]rune {
	tones := []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
	var groups [][]rune
	for _, base := range []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"} {
		var g []rune
		for _, t := range tones {
			g = append(g, []rune(norm.NFC.String(base + t))[0])
		}
		groups = append(groups, g)
	}
	return append(groups, []rune{'d', 'đ'})
}

// TestDiacriticsSurvive prints every Vietnamese letter, lower and upper
// case, in each raster style of both raster profiles (the centre's name and
// the service name at GS v 0 m=3, body text, bold headings, the small
// lines), decodes the bytes into dots as the printer would, and checks
// that within each group (a à á ả ã ạ, â ầ ấ ẩ ẫ ậ, …, d đ) every two
// letters differ by enough dots, and that every letter with a mark has ink
// its bare base letter lacks: no tone mark or vowel mark is lost or merged
// into another by the choice of size, cropping or doubling.
func TestDiacriticsSurvive(t *testing.T) {
	const minDots = 4 // one bitmap dot at m=3, two or more in a 1:1 line
	ict := time.FixedZone("ICT", 7*3600)
	ticket := func(set func(*escpos.Ticket, string)) func(string, escpos.Profile) ([]byte, error) {
		return func(s string, p escpos.Profile) ([]byte, error) {
			tk := escpos.Ticket{Number: "A1", Ahead: -1, English: true, Issued: time.Date(2026, 11, 24, 9, 0, 0, 0, ict)}
			set(&tk, s)
			return escpos.EncodeTicket(tk, p)
		}
	}
	line := func(l escpos.Line) func(string, escpos.Profile) ([]byte, error) {
		return func(s string, p escpos.Profile) ([]byte, error) {
			c := l
			c.Text = s
			return escpos.EncodeLines([]escpos.Line{c}, p)
		}
	}
	fields := []struct {
		name   string
		encode func(string, escpos.Profile) ([]byte, error)
		upper  bool // the field is printed in capitals
	}{
		{"centre", ticket(func(tk *escpos.Ticket, s string) { tk.Centre = s }), true},
		{"service", ticket(func(tk *escpos.Ticket, s string) { tk.Service = s }), false},
		{"body", line(escpos.Line{Centre: true}), false},
		{"bold", line(escpos.Line{Centre: true, Bold: true}), false},
		{"small", line(escpos.Line{Centre: true, Small: true}), false},
	}
	for _, prof := range []escpos.Profile{escpos.Raster80, escpos.Raster58} {
		for _, f := range fields {
			for _, upper := range []bool{false, true} {
				if f.upper && !upper {
					continue
				}
				name := fmt.Sprintf("%s/%s/upper=%v", prof.Name, f.name, upper)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					for _, g := range vietnameseGroups() {
						imgs := make([]*image.Gray, len(g))
						for i, r := range g {
							s := string(r)
							if upper {
								s = strings.ToUpper(s)
							}
							data, err := f.encode(s, prof)
							if err != nil {
								t.Fatal(err)
							}
							imgs[i], _ = Decode(data, prof.Dots, nil)
						}
						for i := range g {
							for k := i + 1; k < len(g); k++ {
								if d := diffDots(imgs[i], imgs[k], false); d < minDots {
									t.Errorf("%s and %s differ by %d dots", caseOf(g[i], upper), caseOf(g[k], upper), d)
								}
							}
							if i > 0 {
								if d := diffDots(imgs[i], imgs[0], true); d < minDots {
									t.Errorf("%s has %d dots of ink %s lacks", caseOf(g[i], upper), d, caseOf(g[0], upper))
								}
							}
						}
					}
				})
			}
		}
	}
}

func caseOf(r rune, upper bool) string {
	if upper {
		return strings.ToUpper(string(r))
	}
	return string(r)
}

// diffDots counts the dots black in a and white in b (onlyA), or differing.
// Rows that are the same in both are skipped quickly: the tickets differ in
// one line.
func diffDots(a, b *image.Gray, onlyA bool) int {
	if a.Bounds().Dx() != b.Bounds().Dx() || a.Rect.Min != (image.Point{}) || b.Rect.Min != (image.Point{}) {
		return 1 << 30 // laid out differently: certainly told apart
	}
	n := 0
	w := a.Bounds().Dx()
	white := make([]byte, w)
	for i := range white {
		white[i] = 0xFF
	}
	for y := 0; y < max(a.Rect.Dy(), b.Rect.Dy()); y++ {
		ra, rb := white, white
		if y < a.Rect.Dy() {
			ra = a.Pix[y*a.Stride : y*a.Stride+w]
		}
		if y < b.Rect.Dy() {
			rb = b.Pix[y*b.Stride : y*b.Stride+w]
		}
		if bytes.Equal(ra, rb) {
			continue
		}
		for x := range w {
			ia, ib := ra[x] < 128, rb[x] < 128
			if ia && !ib || !onlyA && ib && !ia {
				n++
			}
		}
	}
	return n
}
