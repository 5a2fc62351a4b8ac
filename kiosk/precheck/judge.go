package precheck

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"xephang/drivers/idcard"
	"xephang/kiosk/catalogue"
)

// problem is a cross-check that failed, and the documents it concerns.
type problem struct {
	docs   []int
	vi, en string
}

// judge matches pages to the procedure's documents and runs the cross-checks.
func (c *Checker) judge(proc *catalogue.Procedure, reads []pageRead, card *idcard.Card) *Result {
	now := c.now()
	res := &Result{Procedure: proc.ID, Fields: map[string]string{}, Catalogue: c.cat.Version, Checked: now.UTC().Truncate(time.Second)}
	docOf := make([]int, len(reads)) // page → document index, -1 none
	docs := make([]DocumentResult, len(proc.Documents))
	for i, d := range proc.Documents {
		docs[i] = DocumentResult{Name: d.Name, Pages: []int{}, Reasons: []string{}, ReasonsEN: []string{}, Required: d.Required, MissingFields: []MissingField{}}
	}
	reason := func(i int, vi, en string) {
		if !contains(docs[i].Reasons, vi) {
			docs[i].Reasons = append(docs[i].Reasons, vi)
			docs[i].ReasonsEN = append(docs[i].ReasonsEN, en)
		}
	}
	unreadable := 0
	for p, r := range reads {
		docOf[p] = -1
		for i, d := range proc.Documents {
			if r.res.Kind != "" && contains(d.Kinds, r.res.Kind) {
				docOf[p] = i
				docs[i].Pages = append(docs[i].Pages, p+1)
				break
			}
		}
		if r.res.Kind != "" && docOf[p] < 0 {
			k := c.cat.Kind(r.res.Kind)
			r.res.Problems = append(r.res.Problems, fmt.Sprintf("Trang này là %s, không thuộc hồ sơ %s.", k.Name, strings.ToLower(proc.Name)))
			r.res.ProblemsEN = append(r.res.ProblemsEN, fmt.Sprintf("This page is a %s, not part of a %s dossier.", strings.ToLower(k.NameEN), strings.ToLower(proc.NameEN)))
		}
		if r.res.Kind == "" {
			unreadable++
		}
		res.Pages = append(res.Pages, r.res)
	}

	// Fields: gather, keeping the most confident reading of each.
	type seen struct {
		v    Value
		page int
	}
	all := map[string][]seen{}
	for p, r := range reads {
		if docOf[p] < 0 {
			continue
		}
		names := make([]string, 0, len(r.fields))
		for n := range r.fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			all[n] = append(all[n], seen{r.fields[n], p})
		}
	}
	var probs []problem
	addProb := func(pages []int, vi, en string) {
		var ds []int
		for _, p := range pages {
			if d := docOf[p]; d >= 0 && !contains(ds, d) {
				ds = append(ds, d)
			}
		}
		probs = append(probs, problem{ds, vi, en})
	}
	for name, vs := range all {
		best := vs[0]
		for _, s := range vs[1:] {
			if s.v.Conf > best.v.Conf {
				best = s
			}
		}
		if digits, ok := strings.CutSuffix(name, "_words"); ok {
			if len(all[digits]) == 0 {
				res.Fields[digits] = best.v.Value // only written in words
			}
			continue
		}
		res.Fields[name] = best.v.Value
		for _, s := range vs {
			if agree(name, s.v.Value, best.v.Value) {
				continue
			}
			addProb([]int{s.page, best.page}, fmt.Sprintf("%s khác nhau giữa trang %d và trang %d.", fieldLabelVI(name), s.page+1, best.page+1),
				fmt.Sprintf("%s differs between pages %d and %d.", fieldLabelEN(name), s.page+1, best.page+1))
		}
	}
	// A date in digits against the same date in words.
	for name, vs := range all {
		digits, ok := strings.CutSuffix(name, "_words")
		if !ok {
			continue
		}
		for _, w := range vs {
			for _, d := range all[digits] {
				if w.page == d.page && w.v.Value != d.v.Value {
					addProb([]int{w.page}, fmt.Sprintf("%s ghi bằng số và bằng chữ không khớp (trang %d).", fieldLabelVI(digits), w.page+1),
						fmt.Sprintf("%s in digits and in words do not match (page %d).", fieldLabelEN(digits), w.page+1))
				}
			}
		}
	}
	pagesOf := func(names ...string) []int {
		var ps []int
		for _, n := range names {
			for _, s := range all[n] {
				ps = append(ps, s.page)
			}
		}
		return ps
	}
	// Each person: the personal number against birth year and sex; dates
	// not in the future; minimum ages.
	today := idcard.DateOf(now)
	for _, prefix := range personPrefixes(res.Fields) {
		id := res.Fields[prefix+"_id_number"]
		birth := res.Fields[prefix+"_birth_date"]
		year := res.Fields[prefix+"_birth_year"]
		if birth != "" {
			year = birth[:4]
		}
		if id != "" {
			if vi, en := checkIDNumber(id, year, res.Fields[prefix+"_sex"]); vi != "" {
				addProb(pagesOf(prefix+"_id_number"), fieldLabelVI(prefix+"_id_number")+": "+vi, fieldLabelEN(prefix+"_id_number")+": "+en)
			}
		}
		if birth != "" {
			if d, ok := parseISODate(birth); ok && today.Before(d) {
				addProb(pagesOf(prefix+"_birth_date"), fieldLabelVI(prefix+"_birth_date")+" ở sau ngày hôm nay.", fieldLabelEN(prefix+"_birth_date")+" is after today.")
			} else if min, ok := proc.MinAge[prefix]; ok && ageOn(d, today) < min {
				addProb(pagesOf(prefix+"_birth_date"), fmt.Sprintf("%s chưa đủ %d tuổi theo ngày sinh ghi trên tờ khai.", personVI(prefix), min),
					fmt.Sprintf("The %s is under %d by the birth date on the form.", personEN(prefix), min))
			}
		}
	}
	// The card read at the kiosk.
	if card != nil {
		for _, group := range proc.CardMatches {
			var tried []string
			matched := false
			for _, prefix := range group {
				if res.Fields[prefix+"_name"] == "" && res.Fields[prefix+"_id_number"] == "" {
					continue
				}
				tried = append(tried, prefix)
				if cardMatches(card, res.Fields, prefix) {
					matched = true
				}
			}
			if len(tried) > 0 && !matched {
				var names []string
				for _, p := range tried {
					names = append(names, p+"_name", p+"_id_number", p+"_birth_date")
				}
				addProb(pagesOf(names...), fmt.Sprintf("Thẻ căn cước đọc tại ki-ốt không khớp với %s trên giấy tờ (họ tên, số định danh hoặc ngày sinh).", personVI(tried[0])),
					fmt.Sprintf("The ID card read at the kiosk does not match the %s on the papers (name, number or birth date).", personEN(tried[0])))
			}
		}
	}
	for _, p := range probs {
		for _, d := range p.docs {
			reason(d, p.vi, p.en)
		}
	}

	// Statuses.
	res.OK = true
	for i, d := range proc.Documents {
		dr := &docs[i]
		inconsistent := len(dr.Reasons) > 0
		switch {
		case len(dr.Pages) == 0 && d.Card && card != nil && card.Valid:
			dr.Status, dr.Confidence = Present, 1
			reason(i, "Đã đọc thẻ căn cước tại ki-ốt.", "The ID card was read at the kiosk.")
		case len(dr.Pages) == 0 && d.Card && card != nil:
			dr.Status = Inconsistent
			reason(i, "Thẻ căn cước đọc tại ki-ốt không hợp lệ: xin xuất trình thẻ tại quầy.", "The ID card read at the kiosk is not valid: show it at the counter.")
		case len(dr.Pages) == 0:
			dr.Status = Missing
			if d.Shown {
				reason(i, "Chưa có: xin mang bản chính để xuất trình tại quầy.", "Not scanned: bring the original to show at the counter.")
			} else {
				reason(i, "Chưa có trong các trang đã quét.", "Not among the scanned pages.")
			}
			if unreadable > 0 {
				reason(i, fmt.Sprintf("Có %d trang không đọc được; có thể là giấy tờ này.", unreadable), fmt.Sprintf("%d pages could not be read; this may be one of them.", unreadable))
			}
			if d.Note != "" {
				reason(i, d.Note, d.Note)
			}
		default:
			var conf float64
			poor := 0
			var missingLabels []string
			for _, p := range dr.Pages {
				r := reads[p-1]
				conf += r.res.Score * r.text.Conf / 100
				if !Readable(r.text) {
					poor++
				}
				for _, f := range c.cat.Kind(r.res.Kind).Fields {
					why, ok := r.missing[f.Name]
					if !ok {
						continue
					}
					if !contains(missingLabels, f.Label) {
						missingLabels = append(missingLabels, f.Label)
					}
					mf := MissingField{Field: f.Name, Label: f.Label, Page: p}
					switch why {
					case MissLabel:
						mf.Reason = fmt.Sprintf("Không tìm thấy dòng «%s» trên trang %d (có thể mẫu giấy in khác).", f.Label, p)
						mf.ReasonEN = fmt.Sprintf("No line labelled %q found on page %d (the form may be printed differently).", f.Label, p)
					default:
						mf.Reason = fmt.Sprintf("Có dòng «%s» trên trang %d nhưng không đọc được nội dung.", f.Label, p)
						mf.ReasonEN = fmt.Sprintf("The line %q is on page %d but its value could not be read.", f.Label, p)
					}
					dr.MissingFields = append(dr.MissingFields, mf)
				}
				for j, pr := range r.res.Problems {
					if strings.Contains(pr, "dpi") {
						reason(i, pr, r.res.ProblemsEN[j])
					}
				}
			}
			dr.Confidence = math.Round(conf/float64(len(dr.Pages))*100) / 100
			dr.Status = Present
			// Unreadable is for pages OCR could not read, never for labels
			// worded or placed otherwise than we expect: those pages are
			// present, and staff are told which fields to read themselves.
			if poor == len(dr.Pages) && len(missingLabels) > 0 {
				dr.Status = Unreadable
				reason(i, "Ảnh quét quá mờ hoặc nhiễu, không đọc được nội dung ("+strings.Join(missingLabels, "; ")+"). Xin quét lại.", "The scan is too faint or noisy to read. Please scan again.")
			} else if len(missingLabels) > 0 {
				reason(i, "Chưa đọc được: "+strings.Join(missingLabels, "; ")+". Cán bộ sẽ kiểm tra.", fmt.Sprintf("%d fields could not be read; staff will check.", len(missingLabels)))
			}
			if inconsistent {
				dr.Status = Inconsistent
			}
		}
		if d.Required && dr.Status != Present {
			res.OK = false
		}
	}
	res.Documents = docs
	if res.Pages == nil {
		res.Pages = []PageResult{}
	}
	return res
}

// agree compares two readings of the same field.
func agree(name, a, b string) bool {
	if a == b {
		return true
	}
	if strings.HasSuffix(name, "_name") {
		_, close := SameName(a, b)
		return close
	}
	return false
}

// personPrefixes returns the people named in fields ("child" for
// child_name, child_birth_date…), sorted.
func personPrefixes(fields map[string]string) []string {
	var out []string
	for n := range fields {
		for _, suf := range []string{"_name", "_id_number", "_birth_date", "_birth_year"} {
			if p, ok := strings.CutSuffix(n, suf); ok && !contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// checkIDNumber checks a 12-digit personal number against what it encodes
// (Thông tư 59/2021/TT-BCA): province code, century and sex digit, year.
// year and sex ("M"/"F") may be empty when unknown.
func checkIDNumber(id, year, sex string) (vi, en string) {
	if len(id) != 12 || digitsOnly(id) != id {
		return "không phải 12 chữ số.", "not 12 digits."
	}
	if _, ok := idcard.ProvinceName(id[:3]); !ok {
		return "mã tỉnh " + id[:3] + " không có thật.", "province code " + id[:3] + " does not exist."
	}
	g := int(id[3] - '0')
	if year != "" {
		y, _ := strconv.Atoi(year)
		if (y/100-19)*2 != g&^1 || fmt.Sprintf("%02d", y%100) != id[4:6] {
			return "không khớp với năm sinh " + year + ".", "does not match the birth year " + year + "."
		}
	}
	if sex == "M" && g%2 != 0 || sex == "F" && g%2 != 1 {
		return "không khớp với giới tính.", "does not match the sex."
	}
	return "", ""
}

func cardMatches(card *idcard.Card, f map[string]string, prefix string) bool {
	if id := f[prefix+"_id_number"]; id != "" && card.IDNumber != "" && id != card.IDNumber {
		return false
	}
	if n := f[prefix+"_name"]; n != "" && card.Name != "" {
		if _, close := SameName(n, card.Name); !close {
			return false
		}
	}
	if b := f[prefix+"_birth_date"]; b != "" && !card.BirthDate.IsZero() && b != card.BirthDate.String() {
		return false
	}
	return true
}

func parseISODate(s string) (idcard.Date, bool) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return idcard.Date{}, false
	}
	return idcard.DateOf(t), true
}

func ageOn(birth, day idcard.Date) int {
	a := day.Year - birth.Year
	if day.Month < birth.Month || day.Month == birth.Month && day.Day < birth.Day {
		a--
	}
	return a
}

var personNames = map[string][2]string{
	"applicant": {"người yêu cầu", "applicant"}, "child": {"người được khai sinh", "child"},
	"mother": {"người mẹ", "mother"}, "father": {"người cha", "father"},
	"husband": {"bên nam", "husband"}, "wife": {"bên nữ", "wife"},
	"holder": {"người có thẻ", "card holder"}, "status_person": {"người được xác nhận tình trạng hôn nhân", "person whose marital status is certified"},
	"witness": {"người làm chứng", "witness"}, "subject": {"người được cấp bản sao", "person named in the extract"},
}

func personVI(p string) string {
	if n, ok := personNames[p]; ok {
		return n[0]
	}
	return p
}

func personEN(p string) string {
	if n, ok := personNames[p]; ok {
		return n[1]
	}
	return p
}

var attrNames = map[string][2]string{
	"name": {"Họ tên", "Name"}, "id_number": {"Số định danh", "Personal number"}, "birth_date": {"Ngày sinh", "Birth date"},
	"birth_year": {"Năm sinh", "Birth year"}, "sex": {"Giới tính", "Sex"},
}

func fieldLabelVI(name string) string {
	for a, n := range attrNames {
		if p, ok := strings.CutSuffix(name, "_"+a); ok {
			return n[0] + " " + personVI(p)
		}
	}
	return name
}

func fieldLabelEN(name string) string {
	for a, n := range attrNames {
		if p, ok := strings.CutSuffix(name, "_"+a); ok {
			return n[1] + " of the " + personEN(p)
		}
	}
	return name
}
