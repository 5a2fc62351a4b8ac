package precheck

import (
	"fmt"
	"maps"
	"math"
	"slices"
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
	j := &judgement{
		cat: c.cat, proc: proc, reads: reads, card: card,
		res:   &Result{Procedure: proc.ID, Fields: map[string]string{}, Catalogue: c.cat.Version, Checked: now.UTC().Truncate(time.Second)},
		docOf: make([]int, len(reads)),
		docs:  make([]DocumentResult, len(proc.Documents)),
	}
	for i, d := range proc.Documents {
		j.docs[i] = DocumentResult{Name: d.Name, Pages: []int{}, Reasons: []string{}, ReasonsEN: []string{}, Required: d.Required, MissingFields: []MissingField{}}
	}
	j.placePages()
	j.gatherFields()
	// Cross-checks.
	j.checkReadings()
	j.checkDigitsAgainstWords()
	j.checkPeople(idcard.DateOf(now))
	j.checkCard()
	for _, p := range j.probs {
		for _, d := range p.docs {
			j.reason(d, p.vi, p.en)
		}
	}
	// Statuses.
	j.res.OK = true
	for i, d := range proc.Documents {
		j.judgeDocument(i, d)
		if d.Required && j.docs[i].Status != Present {
			j.res.OK = false
		}
	}
	j.res.Documents = j.docs
	if j.res.Pages == nil {
		j.res.Pages = []PageResult{}
	}
	return j.res
}

// judgement is one dossier being judged.
type judgement struct {
	cat   *catalogue.Catalogue
	proc  *catalogue.Procedure
	reads []pageRead
	card  *idcard.Card // nil when none was read
	res   *Result

	docOf      []int // page → document index, -1 none
	docs       []DocumentResult
	unreadable int                  // pages of no kind
	readings   map[string][]reading // every reading of a field, by name
	probs      []problem
}

// reading is one page's reading of a field.
type reading struct {
	v    Value
	page int
}

// reason gives document i a reason, once.
func (j *judgement) reason(i int, vi, en string) {
	if !slices.Contains(j.docs[i].Reasons, vi) {
		j.docs[i].Reasons = append(j.docs[i].Reasons, vi)
		j.docs[i].ReasonsEN = append(j.docs[i].ReasonsEN, en)
	}
}

// placePages puts each page in the document its kind satisfies; a page of
// a kind outside the dossier is told so.
func (j *judgement) placePages() {
	for p, r := range j.reads {
		j.docOf[p] = -1
		for i, d := range j.proc.Documents {
			if r.res.Kind != "" && slices.Contains(d.Kinds, r.res.Kind) {
				j.docOf[p] = i
				j.docs[i].Pages = append(j.docs[i].Pages, p+1)
				break
			}
		}
		if r.res.Kind != "" && j.docOf[p] < 0 {
			k := j.cat.Kind(r.res.Kind)
			r.res.Problems = append(r.res.Problems, fmt.Sprintf("Trang này là %s, không thuộc hồ sơ %s.", k.Name, strings.ToLower(j.proc.Name)))
			r.res.ProblemsEN = append(r.res.ProblemsEN, fmt.Sprintf("This page is a %s, not part of a %s dossier.", strings.ToLower(k.NameEN), strings.ToLower(j.proc.NameEN)))
		}
		if r.res.Kind == "" {
			j.unreadable++
		}
		j.res.Pages = append(j.res.Pages, r.res)
	}
}

// gatherFields collects the readings of every field on the pages placed in
// the dossier, page by page.
func (j *judgement) gatherFields() {
	j.readings = map[string][]reading{}
	for p, r := range j.reads {
		if j.docOf[p] < 0 {
			continue
		}
		names := make([]string, 0, len(r.fields))
		for n := range r.fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			j.readings[n] = append(j.readings[n], reading{r.fields[n], p})
		}
	}
}

// problem records a failed cross-check against the documents of pages.
func (j *judgement) problem(pages []int, vi, en string) {
	var ds []int
	for _, p := range pages {
		if d := j.docOf[p]; d >= 0 && !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	j.probs = append(j.probs, problem{ds, vi, en})
}

// pagesOf returns the pages the fields were read on.
func (j *judgement) pagesOf(names ...string) []int {
	var ps []int
	for _, n := range names {
		for _, s := range j.readings[n] {
			ps = append(ps, s.page)
		}
	}
	return ps
}

// checkReadings keeps the most confident reading of each field as the
// result's, and reports the readings that disagree with it. A date read
// only in words stands for the date.
func (j *judgement) checkReadings() {
	for _, name := range slices.Sorted(maps.Keys(j.readings)) { // reasons in the same order every run
		vs := j.readings[name]
		best := vs[0]
		for _, s := range vs[1:] {
			if s.v.Conf > best.v.Conf {
				best = s
			}
		}
		if digits, ok := strings.CutSuffix(name, "_words"); ok {
			if len(j.readings[digits]) == 0 {
				j.res.Fields[digits] = best.v.Value // only written in words
			}
			continue
		}
		j.res.Fields[name] = best.v.Value
		for _, s := range vs {
			if agree(name, s.v.Value, best.v.Value) {
				continue
			}
			j.problem([]int{s.page, best.page}, fmt.Sprintf("%s khác nhau giữa trang %d và trang %d.", fieldLabelVI(name), s.page+1, best.page+1),
				fmt.Sprintf("%s differs between pages %d and %d.", fieldLabelEN(name), s.page+1, best.page+1))
		}
	}
}

// checkDigitsAgainstWords compares a date in digits with the same date in
// words on the same page.
func (j *judgement) checkDigitsAgainstWords() {
	for _, name := range slices.Sorted(maps.Keys(j.readings)) { // reasons in the same order every run
		vs := j.readings[name]
		digits, ok := strings.CutSuffix(name, "_words")
		if !ok {
			continue
		}
		for _, w := range vs {
			for _, d := range j.readings[digits] {
				if w.page == d.page && w.v.Value != d.v.Value {
					j.problem([]int{w.page}, fmt.Sprintf("%s ghi bằng số và bằng chữ không khớp (trang %d).", fieldLabelVI(digits), w.page+1),
						fmt.Sprintf("%s in digits and in words do not match (page %d).", fieldLabelEN(digits), w.page+1))
				}
			}
		}
	}
}

// checkPeople checks each person: the personal number against birth year
// and sex; the birth date not after today; minimum ages.
func (j *judgement) checkPeople(today idcard.Date) {
	f := j.res.Fields
	for _, prefix := range personPrefixes(f) {
		id := f[prefix+"_id_number"]
		birth := f[prefix+"_birth_date"]
		year := f[prefix+"_birth_year"]
		if birth != "" {
			year = birth[:4]
		}
		if id != "" {
			if vi, en := checkIDNumber(id, year, f[prefix+"_sex"]); vi != "" {
				j.problem(j.pagesOf(prefix+"_id_number"), fieldLabelVI(prefix+"_id_number")+": "+vi, fieldLabelEN(prefix+"_id_number")+": "+en)
			}
		}
		if birth != "" {
			if d, ok := parseISODate(birth); ok && today.Before(d) {
				j.problem(j.pagesOf(prefix+"_birth_date"), fieldLabelVI(prefix+"_birth_date")+" ở sau ngày hôm nay.", fieldLabelEN(prefix+"_birth_date")+" is after today.")
			} else if min, ok := j.proc.MinAge[prefix]; ok && ageOn(d, today) < min {
				j.problem(j.pagesOf(prefix+"_birth_date"), fmt.Sprintf("%s chưa đủ %d tuổi theo ngày sinh ghi trên tờ khai.", personVI(prefix), min),
					fmt.Sprintf("The %s is under %d by the birth date on the form.", personEN(prefix), min))
			}
		}
	}
}

// checkCard checks the card read at the kiosk, if any: of each group of
// people the procedure names, one of those read on the papers must be its
// holder.
func (j *judgement) checkCard() {
	if j.card == nil {
		return
	}
	for _, group := range j.proc.CardMatches {
		var tried []string
		matched := false
		for _, prefix := range group {
			if j.res.Fields[prefix+"_name"] == "" && j.res.Fields[prefix+"_id_number"] == "" {
				continue
			}
			tried = append(tried, prefix)
			if cardMatches(j.card, j.res.Fields, prefix) {
				matched = true
			}
		}
		if len(tried) > 0 && !matched {
			var names []string
			for _, p := range tried {
				names = append(names, p+"_name", p+"_id_number", p+"_birth_date")
			}
			j.problem(j.pagesOf(names...), fmt.Sprintf("Thẻ căn cước đọc tại ki-ốt không khớp với %s trên giấy tờ (họ tên, số định danh hoặc ngày sinh).", personVI(tried[0])),
				fmt.Sprintf("The ID card read at the kiosk does not match the %s on the papers (name, number or birth date).", personEN(tried[0])))
		}
	}
}

// judgeDocument sets document i's status, with the reasons that go with it.
func (j *judgement) judgeDocument(i int, d catalogue.Document) {
	switch {
	case len(j.docs[i].Pages) == 0 && d.Card && j.card != nil:
		j.byCard(i)
	case len(j.docs[i].Pages) == 0:
		j.missing(i, d)
	default:
		j.present(i)
	}
}

// byCard judges a document the card read at the kiosk stands for.
func (j *judgement) byCard(i int) {
	dr := &j.docs[i]
	if j.card.Valid {
		dr.Status, dr.Confidence = Present, 1
		j.reason(i, "Đã đọc thẻ căn cước tại ki-ốt.", "The ID card was read at the kiosk.")
		return
	}
	dr.Status = Inconsistent
	j.reason(i, "Thẻ căn cước đọc tại ki-ốt không hợp lệ: xin xuất trình thẻ tại quầy.", "The ID card read at the kiosk is not valid: show it at the counter.")
}

// missing judges a document no page was found for.
func (j *judgement) missing(i int, d catalogue.Document) {
	j.docs[i].Status = Missing
	if d.Shown {
		j.reason(i, "Chưa có: xin mang bản chính để xuất trình tại quầy.", "Not scanned: bring the original to show at the counter.")
	} else {
		j.reason(i, "Chưa có trong các trang đã quét.", "Not among the scanned pages.")
	}
	if j.unreadable > 0 {
		j.reason(i, fmt.Sprintf("Có %d trang không đọc được; có thể là giấy tờ này.", j.unreadable), fmt.Sprintf("%d pages could not be read; this may be one of them.", j.unreadable))
	}
	if d.Note != "" {
		j.reason(i, d.Note, d.Note)
	}
}

// present judges a document with pages: its confidence, the fields staff
// must read themselves, the resolution of its scans; inconsistent when a
// cross-check failed on it.
func (j *judgement) present(i int) {
	dr := &j.docs[i]
	inconsistent := len(dr.Reasons) > 0
	var conf float64
	poor := 0
	var missingLabels []string
	for _, p := range dr.Pages {
		r := j.reads[p-1]
		conf += r.res.Score * r.text.Conf / 100
		if !Readable(r.text) {
			poor++
		}
		for _, mf := range j.missingFields(r, p) {
			if !slices.Contains(missingLabels, mf.Label) {
				missingLabels = append(missingLabels, mf.Label)
			}
			dr.MissingFields = append(dr.MissingFields, mf)
		}
		for k, pr := range r.res.Problems {
			if strings.Contains(pr, "dpi") {
				j.reason(i, pr, r.res.ProblemsEN[k])
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
		j.reason(i, "Ảnh quét quá mờ hoặc nhiễu, không đọc được nội dung ("+strings.Join(missingLabels, "; ")+"). Xin quét lại.", "The scan is too faint or noisy to read. Please scan again.")
	} else if len(missingLabels) > 0 {
		j.reason(i, "Chưa đọc được: "+strings.Join(missingLabels, "; ")+". Cán bộ sẽ kiểm tra.", fmt.Sprintf("%d fields could not be read; staff will check.", len(missingLabels)))
	}
	if inconsistent {
		dr.Status = Inconsistent
	}
}

// missingFields lists the fields of page p (from 1) that were not read, in
// the catalogue's order, with why.
func (j *judgement) missingFields(r pageRead, p int) []MissingField {
	var out []MissingField
	for _, f := range j.cat.Kind(r.res.Kind).Fields {
		why, ok := r.missing[f.Name]
		if !ok {
			continue
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
		out = append(out, mf)
	}
	return out
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
			if p, ok := strings.CutSuffix(n, suf); ok && !slices.Contains(out, p) {
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
