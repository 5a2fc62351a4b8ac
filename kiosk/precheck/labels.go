package precheck

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"xephang/kiosk/catalogue"
)

// labels.json: the wordings real forms give the labels the pre-check reads.
//
//go:embed labels.json
var labelsJSON []byte

// LabelTable is how forms word field labels: phrases that stand for each
// other inside any label, whole other wordings per kind and field, and the
// labels of fields the pre-check does not read (which end a value).
type LabelTable struct {
	Note    string                         `json:"note"`
	Phrases [][]string                     `json:"phrases"`
	Kinds   map[string]map[string][]string `json:"kinds"`
	Others  []string                       `json:"others"`
}

// ParseLabelTable reads a label table (the format of labels.json).
func ParseLabelTable(b []byte) (*LabelTable, error) {
	var t LabelTable
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("precheck: labels: %w", err)
	}
	for _, g := range t.Phrases {
		if len(g) < 2 {
			return nil, fmt.Errorf("precheck: labels: a phrase group needs two phrases or more: %q", g)
		}
	}
	return &t, nil
}

var (
	defaultLabelsOnce sync.Once
	defaultLabels     *LabelTable
)

// DefaultLabels returns the label table built into the binary.
func DefaultLabels() *LabelTable {
	defaultLabelsOnce.Do(func() {
		t, err := ParseLabelTable(labelsJSON)
		if err != nil {
			panic(err) // the embedded file is tested
		}
		defaultLabels = t
	})
	return defaultLabels
}

// maxVariants bounds the wordings made from one label by phrase swaps.
const maxVariants = 48

// Variants returns every wording of field f of kind k the table knows, the
// catalogue's first, as folded keys (FoldKey), without repeats.
func (t *LabelTable) Variants(k *catalogue.Kind, f catalogue.Field) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] && len(out) < maxVariants {
			seen[s] = true
			out = append(out, s)
		}
	}
	bases := append([]string{f.Label}, t.Kinds[k.ID][f.Name]...)
	groups := t.foldedPhrases()
	for _, b := range bases {
		for _, v := range swapPhrases(foldKeyString(b), groups) {
			add(v)
		}
	}
	return out
}

func (t *LabelTable) foldedPhrases() [][]string {
	var gs [][]string
	for _, g := range t.Phrases {
		var fg []string
		for _, p := range g {
			fg = append(fg, foldKeyString(p))
		}
		gs = append(gs, fg)
	}
	return gs
}

// swapPhrases returns label (folded) and the labels made from it by putting
// for each phrase it holds every other phrase of that phrase's group. The
// longest phrases are taken first and never overlap: "ngay thang nam sinh"
// is swapped whole, not its "nam sinh".
func swapPhrases(label string, groups [][]string) []string {
	type span struct {
		start, end int // byte offsets in label
		group      int
	}
	words := " " + label + " "
	var spans []span
	type cand struct {
		p string
		g int
	}
	var cands []cand
	for gi, g := range groups {
		for _, p := range g {
			cands = append(cands, cand{p, gi})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].p) > len(cands[j].p) })
	taken := make([]bool, len(words))
	for _, c := range cands {
		from := 0
		for {
			i := strings.Index(words[from:], " "+c.p+" ")
			if i < 0 {
				break
			}
			s, e := from+i+1, from+i+1+len(c.p)
			free := true
			for x := s; x < e; x++ {
				free = free && !taken[x]
			}
			if free {
				for x := s; x < e; x++ {
					taken[x] = true
				}
				spans = append(spans, span{s, e, c.g})
			}
			from = e
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	out := []string{label}
	var build func(pos int, prefix string, si int)
	build = func(pos int, prefix string, si int) {
		if len(out) >= maxVariants {
			return
		}
		if si == len(spans) {
			v := strings.TrimSpace(prefix + words[pos:])
			if v != label {
				out = append(out, v)
			}
			return
		}
		sp := spans[si]
		for _, alt := range groups[sp.group] {
			build(sp.end, prefix+words[pos:sp.start]+alt, si+1)
		}
	}
	build(0, "", 0)
	return out
}

// foldRune is r without diacritics, in lower case, đ as d.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return unicode.ToLower(r)
	}
	d := norm.NFD.String(string(r))
	b, _ := utf8.DecodeRuneInString(d)
	b = unicode.ToLower(b)
	if b == 'đ' || b == 'ð' {
		return 'd'
	}
	return b
}

// FoldKey returns the text labels are matched in: s (NFC) without
// diacritics, in lower case, đ as d, every run of characters other than
// letters, digits and colons as one space, trimmed; and for each rune of
// the key the byte offset in s of the character it came from.
func FoldKey(s string) ([]rune, []int) {
	s = norm.NFC.String(s)
	out := make([]rune, 0, len(s))
	offs := make([]int, 0, len(s))
	space := true
	for i, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		f := foldRune(r)
		if unicode.IsLetter(f) || unicode.IsDigit(f) || f == ':' {
			out = append(out, f)
			offs = append(offs, i)
			space = false
			continue
		}
		if !space {
			out = append(out, ' ')
			offs = append(offs, i)
			space = true
		}
	}
	if n := len(out); n > 0 && out[n-1] == ' ' {
		out, offs = out[:n-1], offs[:n-1]
	}
	return out, offs
}

func foldKeyString(s string) string {
	r, _ := FoldKey(strings.ReplaceAll(s, ":", " "))
	return string(r)
}

// labelTolerance is how many edits a label of n letters may show: none
// below 8 letters (too many short words look alike), then one in eight.
func labelTolerance(n int) int {
	if n < 8 {
		return 0
	}
	return max(1, n/8)
}

// matchLabelAt matches label at the start of line (folded keys), allowing a
// few leading characters (a list number, a dash) and labelTolerance edits.
// It returns the edits and the offset in line just past the label, which
// ends at a word boundary.
func matchLabelAt(label, line []rune) (dist, end int, ok bool) {
	tol := labelTolerance(len(label))
	window := line[:min(len(line), len(label)+tol+4)]
	d, e := approxFind(label, window)
	if d > tol || e == 0 {
		return 0, 0, false
	}
	start := max(0, e-len(label))
	if e < len(line) && (unicode.IsLetter(line[e]) || unicode.IsDigit(line[e])) {
		// The best match ends inside a word ("ngay sinng"): the label
		// still matches if the whole word does within tolerance.
		we := e
		for we < len(line) && line[we] != ' ' && line[we] != ':' {
			we++
		}
		if d = levenshtein(label, line[start:we]); d > tol {
			return 0, 0, false
		}
		e = we
	}
	if start > 4+d {
		return 0, 0, false
	}
	// Before the label only a list mark ("1", "a", "II"), not a word of a
	// value: "Nữ Quốc tịch: …" is a value, not the label "Quốc tịch".
	for _, w := range strings.Fields(string(line[:max(0, start-d)])) {
		if !listMark(w) {
			return 0, 0, false
		}
	}
	return d, e, true
}

// listMark reports whether w (folded) numbers an item: digits, one letter,
// or a Roman numeral.
func listMark(w string) bool {
	if utf8.RuneCountInString(w) <= 1 {
		return true
	}
	digits, roman := true, true
	for _, r := range w {
		digits = digits && r >= '0' && r <= '9'
		roman = roman && (r == 'i' || r == 'v' || r == 'x')
	}
	return digits || roman && len(w) <= 4
}

// findLabelIn finds label anywhere in line from offset from, starting a
// word. Within tolerance it must be followed by a colon; exactly and 6
// letters or longer, it need not. It returns the start and end offsets.
func findLabelIn(label, line []rune, from int) (start, end int, ok bool) {
	if from >= len(line) || len(label) == 0 {
		return 0, 0, false
	}
	tol := labelTolerance(len(label))
	rest := line[from:]
	for off := 0; off < len(rest); {
		d, e := approxFind(label, rest[off:])
		if d > tol || e == 0 {
			return 0, 0, false
		}
		e += off
		s := max(0, e-len(label))
		colon := false
		for i := e; i < len(rest) && i <= e+2; i++ {
			if rest[i] == ':' {
				colon = true
				break
			}
			if rest[i] != ' ' {
				break
			}
		}
		boundary := (s == 0 || rest[s-1] == ' ') && (e == len(rest) || !unicode.IsLetter(rest[e]) && !unicode.IsDigit(rest[e]))
		if boundary && (colon || d == 0 && len(label) >= 6) {
			return from + s, from + e, true
		}
		off = e
	}
	return 0, 0, false
}
