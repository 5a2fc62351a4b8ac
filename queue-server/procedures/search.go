package procedures

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Match is one procedure and how well it matched a question.
type Match struct {
	Procedure *Procedure
	Score     float64
}

// Answer is what a question gets: Best (nil when nothing matches well: "ask
// at the counter"), Others (the two next best when Best is not clearly
// ahead), Understood false when nothing matched well.
type Answer struct {
	Query      string
	Best       *Match
	Others     []Match
	Understood bool
}

// Tuning of the retrieval (measured on testdata/questions-tuned.tsv).
const (
	k1 = 1.2
	bm = 0.5

	weightName    = 3.0 // name and aliases
	weightPapers  = 0.5
	weightOther   = 0.2  // applicants, where, form name, field name
	weightBigram  = 1.2  // a pair of syllables, relative to one syllable
	weightExact   = 0.3  // the syllable with its diacritics, on top of the folded one
	weightSynonym = 0.7  // terms brought by a synonym group
	weightSlip    = 0.6  // a syllable one edit away from the typed one
	weightPhrase  = 2.0  // per syllable of the longest name or alias found whole in the question
	partPhrase    = 0.75 // the question found whole in a name or alias, per syllable, relative to weightPhrase

	// aheadRatio: Best is clearly ahead when its score is this many times the second's.
	aheadRatio = 1.6
	// minScore and minCover: below either, the question is not understood.
	minScore = 3.0
	minCover = 0.6
)

// stop are folded question words that name no procedure.
var stop = setOf("toi", "minh", "em", "anh", "chi", "ong", "ba", "can", "gi", "nhung", "nao", "the", "lam", "sao",
	"o", "dau", "muon", "hoi", "giup", "voi", "a", "la", "co", "khong", "ko", "k", "bao", "nhieu", "gio", "di",
	"thi", "phai", "mang", "theo", "nop", "nhu", "vay", "de", "duoc", "cua", "va", "ve", "nay", "kia", "oi",
	"nhe", "nha", "ban", "xin", "cho", "thu", "tuc", "gom", "mat", "bn", "j", "z", "dc", "ntn", "o", "tai",
	"the", "nao", "roi", "ma", "khi", "neu", "hay", "hoac", "mot", "cac", "nhe", "vs", "can", "giay", "to", "le", "phi", "lau", "viec")

// stopExact are question words recognised with their diacritics only
// (their folded forms name procedures too): fee, time, papers, place.
var stopExact = setOf("lệ", "phí", "tiền", "hồ", "sơ", "mẫu", "quầy", "ngày", "thời", "gian", "lâu", "việc", "gì", "đâu", "nào", "mấy")

func isStop(exact, folded string) bool { return stop[folded] || stopExact[exact] }

func setOf(w ...string) map[string]bool {
	m := make(map[string]bool, len(w))
	for _, s := range w {
		m[s] = true
	}
	return m
}

type posting struct {
	doc int
	tf  float64
}

type index struct {
	docs     []*Procedure
	postings map[string][]posting
	dl       []float64
	avgdl    float64
	vocab    map[string]bool // folded syllables
	words    []string        // vocab, for the slip search
	synonyms [][][]string    // group → term → folded syllables
	phrases  [][][]string    // doc → its name and aliases as folded syllables
}

// tokens splits s into lower-case NFC syllables.
func tokens(s string) []string {
	s = norm.NFC.String(strings.ToLower(s))
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// fold removes the diacritics of one syllable (đ → d) and writes a final
// y after a consonant as i ("ký" and "kí" are both written).
func fold(s string) string {
	return yi(fold0(s))
}

func yi(f string) string {
	if n := len(f); n >= 2 && f[n-1] == 'y' && !strings.ContainsRune("aeiouy", rune(f[n-2])) {
		f = f[:n-1] + "i"
	}
	return f
}

func fold0(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func build(c *Catalogue) *index {
	ix := &index{docs: c.all, postings: map[string][]posting{}, vocab: map[string]bool{}}
	for _, g := range c.Synonyms {
		var terms [][]string
		for _, t := range g {
			var fs []string
			for _, w := range tokens(t) {
				fs = append(fs, fold(w))
			}
			terms = append(terms, fs)
		}
		ix.synonyms = append(ix.synonyms, terms)
	}
	fieldName := map[string]string{}
	for _, f := range c.Fields {
		fieldName[f.Field] = f.Name
	}
	var total float64
	for d, p := range c.all {
		tf := map[string]float64{}
		var dl float64
		add := func(text string, w float64) {
			ws := tokens(text)
			var prev string
			for _, x := range ws {
				f := fold(x)
				ix.vocab[f] = true
				tf["u:"+f] += w
				tf["e:"+x] += w
				if prev != "" {
					tf["b:"+prev+" "+f] += w
				}
				prev = f
				dl += w
			}
		}
		add(p.Name, weightName)
		var phrases [][]string
		for _, a := range append([]string{p.Name}, p.Aliases...) {
			add(a, weightName)
			var ph []string
			for _, w := range tokens(a) {
				ph = append(ph, fold(w))
			}
			phrases = append(phrases, ph)
		}
		ix.phrases = append(ix.phrases, phrases)
		for _, pa := range p.Papers {
			add(pa.Name, weightPapers)
			add(pa.Note, weightOther)
		}
		add(p.Applicants, weightOther)
		add(p.Where, weightOther)
		add(p.FormName, weightOther)
		add(fieldName[p.Field], weightOther)
		add(p.NameEN, weightName)
		for t, v := range tf {
			ix.postings[t] = append(ix.postings[t], posting{d, v})
		}
		ix.dl = append(ix.dl, dl)
		total += dl
	}
	if len(c.all) > 0 {
		ix.avgdl = total / float64(len(c.all))
	}
	for w := range ix.vocab {
		ix.words = append(ix.words, w)
	}
	sort.Strings(ix.words)
	return ix
}

const marks = "sfrxjw"

// telex undoes what a Telex keyboard leaves when the input method is off:
// "sinhf" → "sinh", "ddawng" → "dang", "khais" → "khai".
func (ix *index) telex(f string) string {
	if ix.vocab[f] || len(f) < 2 {
		return f
	}
	g := f
	for _, r := range [][2]string{{"dd", "d"}, {"aa", "a"}, {"aw", "a"}, {"ee", "e"}, {"oo", "o"}, {"ow", "o"}, {"uw", "u"}} {
		g = strings.ReplaceAll(g, r[0], r[1])
	}
	if ix.vocab[g] {
		return g
	}
	// VNI leftovers: trailing digits after letters.
	if h := strings.TrimRight(g, "0123456789"); h != g && h != "" && ix.vocab[h] {
		return h
	}
	// Tone and shape letters typed after the syllable ("thuongwf") or
	// inside it ("sifnh").
	for h := g; len(h) > 1 && strings.ContainsRune(marks, rune(h[len(h)-1])); {
		h = h[:len(h)-1]
		if ix.vocab[yi(h)] {
			return yi(h)
		}
	}
	for i := 1; i < len(g)-1; i++ {
		if strings.ContainsRune(marks, rune(g[i])) {
			h := g[:i] + g[i+1:]
			h = strings.TrimRight(h, marks)
			if ix.vocab[yi(h)] {
				return yi(h)
			}
		}
	}
	if g != f && strings.IndexFunc(g, func(r rune) bool { return r > unicode.MaxASCII }) < 0 {
		return g
	}
	return f
}

// slips are the known syllables one edit (insertion, deletion, substitution
// or swap of neighbours) away from f.
func (ix *index) slips(f string) []string {
	var out []string
	for _, w := range ix.words {
		if d := len(w) - len(f); d >= -1 && d <= 1 && len(w) >= 3 && edit1(f, w) {
			out = append(out, w)
			if len(out) == 8 {
				break
			}
		}
	}
	return out
}

func edit1(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) == len(b) {
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return a[i:] == b[i+1:]
}

type qterm struct {
	term    string
	weight  float64
	content []int   // indexes of the content syllables it stands for
	cover   float64 // how much of that syllable a match of this term covers
}

// query turns a question into weighted terms.
func (ix *index) query(q string) ([]qterm, int) {
	ts, n, _ := ix.parse(q)
	return ts, n
}

// parse is query, and the question's folded syllables with the variants
// its synonyms give.
func (ix *index) parse(q string) ([]qterm, int, [][]string) {
	raw := tokens(q)
	if len(raw) > 64 {
		raw = raw[:64]
	}
	folded := make([]string, len(raw))
	for i, x := range raw {
		folded[i] = ix.telex(fold(x))
	}
	// at[i] is the index of syllable i among the content syllables, -1
	// for a question word.
	at := make([]int, len(raw))
	var ts []qterm
	content := 0
	for i, x := range raw {
		f := folded[i]
		if i > 0 {
			ts = append(ts, qterm{"b:" + folded[i-1] + " " + f, weightBigram, nil, 0})
		}
		at[i] = -1
		if isStop(x, f) {
			continue
		}
		c := content
		at[i] = c
		content++
		// Typed with diacritics, a syllable matched only folded ("mật"
		// against "mất") covers half of it.
		cv := 1.0
		if fold0(x) != x {
			cv = 0.3
			ts = append(ts, qterm{"e:" + x, weightExact, []int{c}, 1})
		}
		ts = append(ts, qterm{"u:" + f, 1, []int{c}, cv})
		// A slip of a longer syllable, or a syllable typed without its
		// vowel ("snh", "hn"): no Vietnamese syllable lacks one.
		if !ix.vocab[f] && (len(f) >= 4 || len(f) >= 2 && !strings.ContainsAny(f, "aeiouy")) {
			ws := ix.slips(f)
			if g := strings.TrimRight(f, marks); g != f && len(g) >= 3 {
				ws = append(ws, ix.slips(g)...)
			}
			for _, w := range ws {
				ts = append(ts, qterm{"u:" + w, weightSlip, []int{c}, 0.4})
				// The pairs it makes with its neighbours.
				if i > 0 {
					ts = append(ts, qterm{"b:" + folded[i-1] + " " + w, weightSlip * weightBigram, []int{c}, 0.4})
				}
				if i+1 < len(folded) {
					ts = append(ts, qterm{"b:" + w + " " + folded[i+1], weightSlip * weightBigram, []int{c}, 0.4})
				}
			}
		}
	}
	// Synonyms: a term of a group found in the question brings the others.
	variants := [][]string{folded}
	for _, g := range ix.synonyms {
		for ti, t := range g {
			if from := indexOf(folded, t); from >= 0 && !allStop(t) {
				for _, v := range variants {
					if len(variants) >= 32 {
						break
					}
					if vat := indexOf(v, t); vat >= 0 {
						for oi, o := range g {
							if oi != ti && len(variants) < 32 {
								variants = append(variants, slices.Concat(v[:vat], o, v[vat+len(t):]))
							}
						}
					}
				}
				var c []int
				for k := from; k < from+len(t); k++ {
					if at[k] >= 0 {
						c = append(c, at[k])
					}
				}
				for oi, o := range g {
					if oi == ti {
						continue
					}
					for j, w := range o {
						if !stop[w] {
							ts = append(ts, qterm{"u:" + w, weightSynonym, c, 1})
						}
						if j > 0 {
							ts = append(ts, qterm{"b:" + o[j-1] + " " + w, weightSynonym * weightBigram, c, 1})
						}
					}
				}
				break
			}
		}
	}
	return ts, content, variants
}

func allStop(ws []string) bool {
	for _, w := range ws {
		if !stop[w] {
			return false
		}
	}
	return true
}

func indexOf(s, sub []string) int {
	if len(sub) == 0 {
		return -1
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		ok := true
		for j := range sub {
			if s[i+j] != sub[j] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// rank scores every procedure; cover is, per procedure, the share of the
// question's content syllables it matched.
func (c *Catalogue) rank(q string) ([]Match, []float64) {
	ix := c.index
	n := len(ix.docs)
	if n == 0 {
		return nil, nil
	}
	ts, content, variants := ix.parse(q)
	type agg struct {
		weight float64
		cover  map[int]float64
	}
	best := map[string]*agg{}
	for _, t := range ts {
		a := best[t.term]
		if a == nil {
			a = &agg{cover: map[int]float64{}}
			best[t.term] = a
		}
		a.weight = max(a.weight, t.weight)
		for _, c := range t.content {
			a.cover[c] = max(a.cover[c], t.cover)
		}
	}
	scores := make([]float64, n)
	hit := make([]map[int]float64, n)
	// In a fixed order, so that the same question always scores the same
	// to the last bit.
	terms := make([]string, 0, len(best))
	for term := range best {
		terms = append(terms, term)
	}
	sort.Strings(terms)
	for _, term := range terms {
		t := best[term]
		ps := ix.postings[term]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log(1 + (float64(n)-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			norm := k1 * (1 - bm + bm*ix.dl[p.doc]/ix.avgdl)
			scores[p.doc] += t.weight * idf * p.tf * (k1 + 1) / (p.tf + norm)
			for c, cv := range t.cover {
				if hit[p.doc] == nil {
					hit[p.doc] = map[int]float64{}
				}
				hit[p.doc][c] = max(hit[p.doc][c], cv)
			}
		}
	}
	trimmed := make([][]string, len(variants))
	for i, v := range variants {
		for len(v) > 0 && stop[v[0]] {
			v = v[1:]
		}
		for len(v) > 0 && stop[v[len(v)-1]] {
			v = v[:len(v)-1]
		}
		trimmed[i] = v
	}
	// A name or alias found whole in the question: the strongest sign.
	for d, phs := range ix.phrases {
		longest := 0.0
		for _, ph := range phs {
			// The question (its question words trimmed) found whole
			// in a name or alias counts for part.
			for _, v := range trimmed {
				if len(v) >= 2 && float64(len(v))*partPhrase > longest && indexOf(ph, v) >= 0 {
					longest = float64(len(v)) * partPhrase
				}
			}
			if float64(len(ph)) <= longest || len(ph) < 2 {
				continue
			}
			for _, v := range variants {
				if indexOf(v, ph) >= 0 {
					longest = float64(len(ph))
					break
				}
			}
		}
		if longest > 0 && scores[d] > 0 {
			scores[d] += weightPhrase * longest
		}
	}
	ms := make([]Match, 0, n)
	cover := make([]float64, 0, n)
	for d, s := range scores {
		if s > 0 {
			ms = append(ms, Match{ix.docs[d], s})
			cv := 0.0
			if content > 0 {
				for c := range content {
					cv += hit[d][c]
				}
				cv /= float64(content)
			}
			cover = append(cover, cv)
			// What the question says and the procedure does not
			// counts against it.
			if content > 0 {
				ms[len(ms)-1].Score *= cv * cv
			}
		}
	}
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ms[order[a]].Score > ms[order[b]].Score })
	sm := make([]Match, len(ms))
	sc := make([]float64, len(ms))
	for i, o := range order {
		sm[i], sc[i] = ms[o], cover[o]
	}
	return sm, sc
}

// Search is the procedures matching q, best first, at most n.
func (c *Catalogue) Search(q string, n int) []Match {
	ms, _ := c.rank(q)
	if n < len(ms) {
		ms = ms[:max(n, 0)]
	}
	return ms
}

// Ask answers a question: the best procedure when one matches well, and
// the two next best when it is not clearly ahead.
func (c *Catalogue) Ask(q string) Answer {
	a := Answer{Query: q}
	ms, cover := c.rank(q)
	if len(ms) == 0 || ms[0].Score < minScore || cover[0] < minCover {
		return a
	}
	a.Understood = true
	best := ms[0]
	a.Best = &best
	if len(ms) > 1 && best.Score < aheadRatio*ms[1].Score {
		a.Others = append(a.Others, ms[1:min(3, len(ms))]...)
	}
	return a
}
