package precheck

import (
	"strings"

	"xephang/kiosk/catalogue"
)

// Classification thresholds, as shares of a title's letters matched.
const (
	minTitleScore = 0.8 // below this a page is not that kind
	topLines      = 14  // titles are printed near the top of the page
)

// Classification says which kind of paper a page is.
type Classification struct {
	Kind  string  // catalogue kind id, "" when none
	Score float64 // 0–1: how closely the best title matched
}

// Classify finds the kind of a page among kinds (the procedure's first,
// then the rest of the catalogue) by looking for each kind's printed
// titles in the text with tone marks and case dropped (Fold) and a few
// letters allowed to differ, so a title whose tone marks OCR lost, or with
// a letter misread, still counts. A match in the top lines of the page
// beats one lower down (a form's body may name another paper).
func Classify(cat *catalogue.Catalogue, kinds []string, t *Text) Classification {
	var top, all strings.Builder
	for i, l := range t.Lines {
		f := Fold(l.Text)
		if i < topLines {
			top.WriteString(f)
			top.WriteByte(' ')
		}
		all.WriteString(f)
		all.WriteByte(' ')
	}
	topR, allR := []rune(top.String()), []rune(all.String())
	best := Classification{}
	var anyText string
	bestLen := 0
	for _, id := range kinds {
		k := cat.Kind(id)
		if k == nil {
			continue
		}
		if k.AnyText && anyText == "" {
			anyText = k.ID
		}
		for _, title := range k.Titles {
			p := []rune(Fold(title))
			if len(p) == 0 {
				continue
			}
			d, _ := approxFind(p, topR)
			s := 1 - float64(d)/float64(len(p))
			if d2, _ := approxFind(p, allR); d2 < d {
				s = 0.9 * (1 - float64(d2)/float64(len(p)))
			}
			// Longer titles are more telling: "giấy chứng nhận quyền sử dụng đất"
			// must beat "giấy chứng nhận" when both match.
			if s > best.Score+0.02 || s >= best.Score-0.02 && len(p) > bestLen {
				best, bestLen = Classification{Kind: id, Score: s}, len(p)
			}
		}
	}
	if best.Score < minTitleScore {
		if anyText != "" && t.Words >= 20 && t.Conf >= 50 {
			return Classification{Kind: anyText, Score: 0.6}
		}
		return Classification{Score: best.Score}
	}
	return best
}
