package precheck

import (
	"image"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"xephang/kiosk/catalogue"
)

// Value is one field read from a page.
type Value struct {
	Value string  // normalised: names in capitals (Canonical), dates YYYY-MM-DD, sex M/F
	Raw   string  // as read
	Conf  float64 // OCR confidence of its line, 0–100
}

// Miss says why a field was not read from a page.
type Miss int

// Why a field was not read.
const (
	MissLabel Miss = iota + 1 // no line carries its label in any known wording
	MissValue                 // the label is there, its value empty or not of the field's type
)

// Extraction is what Extract found on a page.
type Extraction struct {
	Values  map[string]Value // by field name
	Missing map[string]Miss  // the kind's fields not read, by field name
	// Labels are where the labels of fields missing for MissValue are on
	// the page (when the lines have boxes): a second look reads there.
	Labels map[string]image.Rectangle
}

// Extract reads the labelled fields of kind k from a page with the built-in
// label table; see ExtractFields.
func Extract(k *catalogue.Kind, t *Text) map[string]Value {
	return ExtractFields(k, t, DefaultLabels()).Values
}

// ExtractFields reads the labelled fields of kind k from a page. Labels are
// matched by meaning with tolerance: every wording of the label table
// (phrase swaps and whole other wordings), with tone marks, case and
// punctuation dropped and about one letter in eight allowed to differ;
// the longest wording that fits a line wins, so "Họ và tên người mẹ" is
// not taken for "Họ và tên". A label may start a line, follow another
// field's value on the same line (then with its colon), or run over two
// lines. Its value is what follows it on the line (after the colon, when
// there is one), up to the next label; when nothing does, the text to its
// right on the page (a value column), else the line below. Fields that
// share a label (the mother's and the father's "Năm sinh") are told apart
// by form order: each takes the first occurrence after the field before
// it, or the first free one when the form prints its sections in another
// order.
func ExtractFields(k *catalogue.Kind, t *Text, table *LabelTable) Extraction {
	ex := Extraction{Values: map[string]Value{}, Missing: map[string]Miss{}, Labels: map[string]image.Rectangle{}}
	if len(k.Fields) == 0 {
		return ex
	}
	kl := compileLabels(k, table)
	pg := foldPage(t)
	occs := pg.occurrences(kl)
	used := make([]bool, len(occs))
	prev := -1
	for fi, f := range k.Fields {
		// The first occurrence after the field before; for a label only this
		// field has, the first whose value reads.
		pick := -1
		for pass := 0; pass < 2 && pick < 0; pass++ {
			for oi, o := range occs {
				if used[oi] || !slices.Contains(kl.keys[o.key].fields, fi) || pass == 0 && oi <= prev {
					continue
				}
				if pick < 0 {
					pick = oi
				}
				if len(kl.keys[o.key].fields) > 1 {
					break
				}
				if _, ok := normalise(f.Type, o.value); ok {
					pick = oi
					break
				}
			}
		}
		if pick < 0 {
			ex.Missing[f.Name] = MissLabel
			continue
		}
		used[pick], prev = true, pick
		o := occs[pick]
		raw := o.value
		v, ok := normalise(f.Type, raw)
		if !ok && f.Type == catalogue.TypeDateWords && o.valueLine >= 0 {
			if j := pg.below(o.valueLine); j >= 0 {
				raw += " " + t.Lines[j].Text // the words often wrap
				v, ok = normalise(f.Type, raw)
			}
		}
		if !ok {
			ex.Missing[f.Name] = MissValue
			if pg.boxes {
				ex.Labels[f.Name] = t.Lines[o.first].Box.Union(t.Lines[o.last].Box)
			}
			continue
		}
		conf := 0.0
		if o.valueLine >= 0 {
			conf = t.Lines[o.valueLine].Conf
		}
		ex.Values[f.Name] = Value{Value: v, Raw: raw, Conf: conf}
	}
	return ex
}

// labelKey is one wording of a label, folded, and the fields it names.
type labelKey struct {
	key    []rune
	fields []int // indices into the kind's fields
}

// kindLabels are the wordings of one kind's labels and the labels of fields
// not read.
type kindLabels struct {
	keys   []labelKey
	others [][]rune
}

var labelCache sync.Map // kindCacheKey → *kindLabels

type kindCacheKey struct {
	table  *LabelTable
	kind   string
	fields string // the field names, so that a changed kind of the same id is not confused
}

func compileLabels(k *catalogue.Kind, table *LabelTable) *kindLabels {
	names := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		names[i] = f.Name + "=" + f.Label
	}
	ck := kindCacheKey{table, k.ID, strings.Join(names, "\x00")}
	if v, ok := labelCache.Load(ck); ok {
		return v.(*kindLabels)
	}
	kl := &kindLabels{}
	index := map[string]int{}
	for fi, f := range k.Fields {
		for _, v := range table.Variants(k, f) {
			if i, ok := index[v]; ok {
				if !slices.Contains(kl.keys[i].fields, fi) {
					kl.keys[i].fields = append(kl.keys[i].fields, fi)
				}
				continue
			}
			index[v] = len(kl.keys)
			kl.keys = append(kl.keys, labelKey{key: []rune(v), fields: []int{fi}})
		}
	}
	for _, o := range table.Others {
		if k := foldKeyString(o); k != "" {
			if _, mine := index[k]; !mine {
				kl.others = append(kl.others, []rune(k))
			}
		}
	}
	labelCache.Store(ck, kl)
	return kl
}

// foldedPage is a page's lines as folded keys, with where they are.
type foldedPage struct {
	t     *Text
	keys  [][]rune
	offs  [][]int
	boxes bool // the lines have boxes (hOCR); without, lines are in reading order
	label []bool
}

func foldPage(t *Text) *foldedPage {
	pg := &foldedPage{t: t, keys: make([][]rune, len(t.Lines)), offs: make([][]int, len(t.Lines)), label: make([]bool, len(t.Lines)), boxes: len(t.Lines) > 0}
	for i, l := range t.Lines {
		pg.keys[i], pg.offs[i] = FoldKey(l.Text)
		if l.Box.Empty() {
			pg.boxes = false
		}
	}
	return pg
}

// below returns the line under line i in the same column, -1 when none.
func (pg *foldedPage) below(i int) int {
	if !pg.boxes {
		if i+1 < len(pg.t.Lines) {
			return i + 1
		}
		return -1
	}
	b := pg.t.Lines[i].Box
	h := max(b.Dy(), 1)
	best, bestTop := -1, 0
	for j, l := range pg.t.Lines {
		c := l.Box
		if j == i || c.Min.Y < b.Min.Y+h/2 || c.Min.Y > b.Max.Y+2*h {
			continue
		}
		if c.Max.X < b.Min.X || c.Min.X > max(b.Min.X+4*h, b.Max.X+2*h) { // not under line i
			continue
		}
		if best < 0 || c.Min.Y < bestTop {
			best, bestTop = j, c.Min.Y
		}
	}
	return best
}

// rightOf returns the line printed to the right of line i on the same
// level (a value column), -1 when none.
func (pg *foldedPage) rightOf(i int) int {
	if !pg.boxes {
		return -1
	}
	b := pg.t.Lines[i].Box
	h := max(b.Dy(), 1)
	cy := (b.Min.Y + b.Max.Y) / 2
	best := -1
	for j, l := range pg.t.Lines {
		c := l.Box
		if j == i || c.Min.X < b.Max.X-h/2 || c.Min.Y > cy || c.Max.Y < cy {
			continue
		}
		if best < 0 || c.Min.X < pg.t.Lines[best].Box.Min.X {
			best = j
		}
	}
	return best
}

// occurrence is a label found on the page.
type occurrence struct {
	first     int    // the line the label starts on
	last      int    // the line it ends on
	key       int    // index in kindLabels.keys
	value     string // what follows it, cut at the next label
	valueLine int    // the line the value is on, -1 when none
}

// startMatch is the best label at the start of a line.
type startMatch struct {
	key      int // index in keys; -1 for a label of another field
	score    int
	end      int // in the folded key of line last
	last     int // the line the label ends on (two-line labels)
	firstEnd int // for two-line labels: where the label's first part ends on line first
	twoLine  bool
}

func (pg *foldedPage) occurrences(kl *kindLabels) []occurrence {
	n := len(pg.keys)
	starts := make([]*startMatch, n)
	second := make([]bool, n) // the second line of a two-line label
	for i := range n {
		if second[i] {
			continue
		}
		starts[i] = pg.matchStart(kl, i)
		if m := starts[i]; m != nil {
			pg.label[i] = true
			if m.twoLine {
				pg.label[m.last], second[m.last] = true, true
				starts[m.last] = nil
			}
		}
	}
	var occs []occurrence
	for i := range n {
		m := starts[i]
		if second[i] {
			continue
		}
		if m == nil {
			// No label starts the line, but one may follow a value on it.
			occs = append(occs, pg.midLine(kl, i, 0)...)
			continue
		}
		if m.key < 0 {
			occs = append(occs, pg.midLine(kl, i, m.end)...)
			continue
		}
		o := occurrence{key: m.key, valueLine: -1, first: i, last: m.last}
		var more []occurrence
		if m.twoLine {
			o.value, more = pg.valueAfter(kl, m.last, m.end)
			o.valueLine = m.last
			if o.value == "" {
				o.value, more = pg.valueAfter(kl, i, m.firstEnd)
				o.valueLine = i
			}
		} else {
			o.value, more = pg.valueAfter(kl, i, m.end)
			o.valueLine = i
		}
		if o.value == "" {
			o.value, o.valueLine = pg.valueByPosition(kl, i, m.last)
		}
		occs = append(occs, o)
		occs = append(occs, more...)
	}
	return occs
}

// matchStart finds the label that starts line i, possibly running on to the
// line below; nil when none does.
func (pg *foldedPage) matchStart(kl *kindLabels, i int) *startMatch {
	line := pg.keys[i]
	var best *startMatch
	try := func(m startMatch) {
		if best == nil || m.score > best.score {
			best = &m
		}
	}
	for ki, k := range kl.keys {
		if d, e, ok := matchLabelAt(k.key, line); ok {
			try(startMatch{key: ki, score: len(k.key) - 2*d, end: e, last: i})
		}
	}
	for _, o := range kl.others {
		if d, e, ok := matchLabelAt(o, line); ok {
			try(startMatch{key: -1, score: len(o) - 2*d, end: e, last: i})
		}
	}
	// Two-line labels: the first words on line i, the rest starting the line below.
	j := pg.below(i)
	if j < 0 {
		return best
	}
	next := pg.keys[j]
	for ki, k := range kl.keys {
		if best != nil && len(k.key) <= best.score {
			continue // cannot beat it
		}
		tol := labelTolerance(len(k.key))
		for sp := 1; sp < len(k.key)-1; sp++ {
			if k.key[sp] != ' ' {
				continue
			}
			p1, p2 := k.key[:sp], k.key[sp+1:]
			d1, e1, ok := matchLabelAt(p1, line)
			if !ok || d1 > tol {
				continue
			}
			d2, e2, ok := matchLabelAt(p2, next)
			if !ok || d1+d2 > tol {
				continue
			}
			try(startMatch{key: ki, score: len(k.key) - 2*(d1+d2), end: e2, last: j, firstEnd: e1, twoLine: true})
		}
	}
	return best
}

// valueAfter returns the text of line i after folded offset end (past a
// colon close by), cut where another label begins, and the fields whose
// labels follow on the same line.
func (pg *foldedPage) valueAfter(kl *kindLabels, i, end int) (string, []occurrence) {
	key := pg.keys[i]
	start := end
	for k := end; k < len(key) && k <= end+5; k++ {
		if key[k] == ':' {
			start = k + 1
			break
		}
	}
	for start < len(key) && (key[start] == ' ' || key[start] == ':') {
		start++
	}
	if start >= len(key) {
		return "", nil
	}
	cut, more := len(key), []occurrence(nil)
	if c, ki, ce, ok := pg.nextLabel(kl, key, start); ok {
		cut = c
		if ki >= 0 {
			o := occurrence{key: ki, valueLine: i, first: i, last: i}
			o.value, more = pg.valueAfter(kl, i, ce)
			more = append([]occurrence{o}, more...)
		}
	}
	return cleanValue(pg.slice(i, start, cut)), more
}

// midLine finds field labels after the start of line i that starts with no
// field's label (another field's label, or text).
func (pg *foldedPage) midLine(kl *kindLabels, i, from int) []occurrence {
	c, ki, ce, ok := pg.nextLabel(kl, pg.keys[i], from)
	if !ok {
		return nil
	}
	if ki >= 0 && !colonAfter(pg.keys[i], ce) {
		// In running text ("ký, ghi rõ họ và tên") a label is only one with its colon.
		return pg.midLine(kl, i, c+1)
	}
	if ki < 0 {
		return pg.midLine(kl, i, ce)
	}
	o := occurrence{key: ki, valueLine: i, first: i, last: i}
	var more []occurrence
	o.value, more = pg.valueAfter(kl, i, ce)
	return append([]occurrence{o}, more...)
}

// nextLabel finds the first label (a field's, ki ≥ 0, or another, ki -1)
// in key from offset from, past its first word.
func (pg *foldedPage) nextLabel(kl *kindLabels, key []rune, from int) (start, ki, end int, ok bool) {
	// Skip the first word: a value starts with at least one.
	for from < len(key) && key[from] != ' ' {
		from++
	}
	start = len(key)
	for k, lk := range kl.keys {
		if s, e, found := findLabelIn(lk.key, key, from); found && (s < start || s == start && e > end) {
			start, end, ki, ok = s, e, k, true
		}
	}
	for _, o := range kl.others {
		if s, e, found := findLabelIn(o, key, from); found && (s < start || s == start && e > end) {
			start, end, ki, ok = s, e, -1, true
		}
	}
	return start, ki, end, ok
}

// valueByPosition finds the value of a label on lines first..last that has
// nothing after it: the text to its right, else the line below, when that
// line is not a label's.
func (pg *foldedPage) valueByPosition(kl *kindLabels, first, last int) (string, int) {
	for _, i := range []int{first, last} {
		if j := pg.rightOf(i); j >= 0 && !pg.label[j] {
			return pg.wholeLine(kl, j), j
		}
	}
	// The line below, past the printed instructions some forms put under
	// a label ("(Ghi đầy đủ theo giấy tờ tùy thân)").
	j := pg.below(last)
	for k := 0; k < 2 && j >= 0 && instruction(pg.t.Lines[j].Text); k++ {
		j = pg.below(j)
	}
	if j >= 0 && !pg.label[j] && !instruction(pg.t.Lines[j].Text) {
		return pg.wholeLine(kl, j), j
	}
	return "", -1
}

// instruction reports whether a line is a printed instruction in
// parentheses rather than a value.
func instruction(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > 2 && s[0] == '(' && strings.HasSuffix(s, ")")
}

// wholeLine is line j as a value: all of it up to a label.
func (pg *foldedPage) wholeLine(kl *kindLabels, j int) string {
	key := pg.keys[j]
	cut := len(key)
	if c, _, _, ok := pg.nextLabel(kl, key, 0); ok {
		cut = c
	}
	return cleanValue(pg.slice(j, 0, cut))
}

// slice returns the original text of line i between folded offsets.
func (pg *foldedPage) slice(i, from, to int) string {
	s, offs := pg.t.Lines[i].Text, pg.offs[i]
	if from >= len(offs) {
		return ""
	}
	a, b := offs[from], len(s)
	if to < len(offs) {
		b = offs[to]
	}
	return s[a:b]
}

// footnote is the mark a form puts after a label ("Họ, chữ đệm và tên(1)"),
// left at the start of the value, its "(" sometimes lost to OCR.
var footnote = regexp.MustCompile(`^\(?\d{1,2}\)\s*`)

// cleanValue drops what forms print around a value: dotted leaders (which
// OCR also reads as "¬—¬" and the like), a footnote mark left of the label,
// a colon.
func cleanValue(s string) string {
	s = footnote.ReplaceAllString(strings.TrimSpace(s), "")
	s = strings.TrimLeftFunc(s, func(r rune) bool { return !valueRune(r) && r != '(' })
	return strings.TrimRightFunc(s, func(r rune) bool { return !valueRune(r) && r != ')' })
}

// valueRune: a letter or digit, not a modifier letter ("ˆ", which OCR
// makes of a dotted leader's speck).
func valueRune(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsLetter(r) && !unicode.Is(unicode.Lm, r)
}

// colonAfter reports whether a colon follows offset e of key, past spaces.
func colonAfter(key []rune, e int) bool {
	for ; e < len(key); e++ {
		switch key[e] {
		case ':':
			return true
		case ' ':
		default:
			return false
		}
	}
	return false
}

var (
	twelveDigits = regexp.MustCompile(`\d{12}`)
	fourDigits   = regexp.MustCompile(`\b(19|20|21)\d{2}\b`)
)

// normalise turns a raw value into the form the result reports.
func normalise(typ, raw string) (string, bool) {
	raw = strings.TrimSpace(strings.Trim(norm.NFC.String(raw), ".…_ "))
	switch typ {
	case catalogue.TypeName:
		n := NormalizeName(raw)
		if len(strings.Fields(n)) < 2 || strings.ContainsAny(raw, "0123456789") {
			return "", false
		}
		return n, true
	case catalogue.TypeIDNumber:
		s := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(fixDigits(raw))
		m := twelveDigits.FindString(s)
		return m, m != "" && len(digitsOnly(s)) == 12
	case catalogue.TypeDate:
		d, ok := ParseDigitDate(raw)
		if !ok {
			return "", false
		}
		return d.String(), true
	case catalogue.TypeDateWords:
		d, ok := ParseDateWords("ngày " + strings.TrimPrefix(Fold(raw), "ngay"))
		if !ok {
			return "", false
		}
		return d.String(), true
	case catalogue.TypeYear:
		m := fourDigits.FindString(fixDigits(raw))
		return m, m != ""
	case catalogue.TypeSex:
		f := strings.Fields(Fold(raw))
		if len(f) == 0 {
			return "", false
		}
		switch f[0] {
		case "nam", "male", "m":
			return "M", true
		case "nu", "female", "f":
			return "F", true
		}
		return "", false
	}
	if raw == "" {
		return "", false
	}
	return Canonical(raw), true
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
