package forms

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/personname"
)

// Codes of a FieldError.
const (
	CodeRequired     = "required"      // a required field is empty
	CodeInvalid      = "invalid"       // the value is not of the field's type
	CodeTooLong      = "too_long"      // more characters than the field takes
	CodeUnknownField = "unknown_field" // the form has no field of that name
	CodeFutureDate   = "future_date"   // a date or year after today
)

// FieldError says what is wrong with one field, in Vietnamese (Message)
// and English.
type FieldError struct {
	Field     string `json:"field"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.MessageEN }

// defaultMax is the most characters a field of each type takes when the
// definition says nothing.
var defaultMax = map[string]int{TypeText: 200, TypeName: personname.MaxLength, TypeAddress: 200, TypeNumber: 20, TypeChoice: 100}

// maxValue bounds any value before it is looked at closely.
const maxValue = 4000

// Validate checks a filled form: every value NFC-normalised and trimmed in
// place (and put in its canonical form: a name's single spaces, a phone's
// 0… digits, a sex as M or F), required fields present, each value of its
// field's type, pattern and options, dates real and not after today (every
// date these forms ask is of something that happened), unknown field names
// refused. Date-in-words fields are computed here from their date, whatever
// was sent. It returns the errors (unknown fields first, then in the
// order of the form's fields); none means the form may be kept and
// printed. A Filled of another procedure is refused as a whole (field "").
// The values are judged by this definition whatever version they were
// filled against (a kiosk and the server may run different releases for a
// while): a version is kept as sent, and set to this one when empty.
func (f *Form) Validate(v *Filled, today time.Time) []FieldError {
	var errs []FieldError
	add := func(field, code, vi, en string) {
		errs = append(errs, FieldError{Field: field, Code: code, Message: vi, MessageEN: en})
	}
	if v.Procedure != f.Procedure {
		add("", CodeInvalid, "tờ khai không thuộc thủ tục này", "the form is of another procedure")
		return errs
	}
	if v.Version == "" {
		v.Version = f.Version
	}
	if v.Values == nil {
		v.Values = map[string]string{}
	}
	var unknown []string
	for name := range v.Values {
		if _, ok := f.Field(name); !ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		add(name, CodeUnknownField, "tờ khai không có mục này", "the form has no such field")
	}
	for name := range v.Sources {
		if _, ok := v.Values[name]; !ok || (v.Sources[name] != "card" && v.Sources[name] != "booking") {
			delete(v.Sources, name)
		}
	}
	accepted := map[string]bool{}
	for _, fd := range f.fields() {
		if fd.Type == TypeDateWords {
			continue
		}
		raw, ok := v.Values[fd.Name]
		if !ok {
			if fd.Required {
				add(fd.Name, CodeRequired, "chưa điền "+lower(fd.Label), "required")
			}
			continue
		}
		val, e := fd.check(raw, today)
		if e != nil {
			e.Field = fd.Name
			errs = append(errs, *e)
			continue
		}
		if val == "" {
			delete(v.Values, fd.Name)
			if fd.Required {
				add(fd.Name, CodeRequired, "chưa điền "+lower(fd.Label), "required")
			}
			continue
		}
		v.Values[fd.Name] = val
		accepted[fd.Name] = true
	}
	for _, fd := range f.fields() {
		if fd.Type != TypeDateWords {
			continue
		}
		delete(v.Values, fd.Name)
		if d, err := time.Parse(time.DateOnly, v.Values[fd.From]); err == nil && accepted[fd.From] {
			v.Values[fd.Name] = DateWords(d)
		}
	}
	return errs
}

// lower puts a label in running text, for "chưa điền …": without the
// template's numbering ("2. ") and with its first letter in lower case.
func lower(s string) string {
	s = numbering.ReplaceAllString(s, "")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

func invalid(vi, en string) *FieldError {
	return &FieldError{Code: CodeInvalid, Message: vi, MessageEN: en}
}

// check returns a value in its canonical form ("" when empty), or what is
// wrong with it.
func (fd *Field) check(raw string, today time.Time) (string, *FieldError) {
	if len(raw) > maxValue || !utf8.ValidString(raw) {
		if !utf8.ValidString(raw) {
			return "", invalid("có ký tự không hợp lệ", "not valid UTF-8")
		}
		return "", &FieldError{Code: CodeTooLong, Message: "quá dài", MessageEN: "too long"}
	}
	s := strings.TrimSpace(norm.NFC.String(raw))
	if s == "" {
		return "", nil
	}
	if m := fd.max(); m > 0 && utf8.RuneCountInString(s) > m {
		return "", &FieldError{Code: CodeTooLong, Message: fmt.Sprintf("tối đa %d ký tự", m), MessageEN: fmt.Sprintf("at most %d characters", m)}
	}
	var err *FieldError
	switch fd.Type {
	case TypeText, TypeAddress:
		err = checkText(s)
	case TypeName:
		n, perr := personname.Parse(s)
		var pe *personname.Error
		if errors.As(perr, &pe) {
			return "", invalid("họ tên "+pe.VI, "name: "+pe.EN)
		} else if perr != nil {
			return "", invalid("họ tên không hợp lệ", "not a name")
		}
		s = n
	case TypeIDNumber:
		n, cerr := queue.CheckCCCD(s, today)
		var qe *queue.Error
		if errors.As(cerr, &qe) {
			return "", invalid(qe.VI, qe.EN)
		} else if cerr != nil {
			return "", invalid("số định danh cá nhân không hợp lệ", "not a personal number")
		}
		s = n
	case TypeDate:
		d, perr := time.Parse(time.DateOnly, s)
		if perr != nil {
			return "", invalid("ngày không có thật hoặc không đúng dạng năm-tháng-ngày", "not a real date (YYYY-MM-DD)")
		}
		if d.Year() < 1850 {
			return "", invalid("năm quá xa", "the year is too far back")
		}
		if fd.Source != "card.expiry_date" && d.After(dateOf(today)) {
			return "", &FieldError{Code: CodeFutureDate, Message: "ngày sau hôm nay", MessageEN: "a date after today"}
		}
	case TypeYear:
		y, perr := strconv.Atoi(s)
		if perr != nil || len(s) != 4 || y < 1850 {
			return "", invalid("năm gồm 4 chữ số", "a year of four digits")
		}
		if y > today.Year() {
			return "", &FieldError{Code: CodeFutureDate, Message: "năm sau năm nay", MessageEN: "a year after this one"}
		}
	case TypeSex:
		switch strings.ToLower(s) {
		case "m", "nam":
			s = "M"
		case "f", "nữ", "nu":
			s = "F"
		default:
			return "", invalid("chọn Nam hoặc Nữ", "M (Nam) or F (Nữ)")
		}
	case TypeChoice:
		if _, ok := fd.option(s); !ok {
			labels := make([]string, len(fd.Options))
			for i, o := range fd.Options {
				labels[i] = o.Label
			}
			return "", invalid("chọn một trong: "+strings.Join(labels, "; "), "one of the options")
		}
	case TypePhone:
		p, ok := phone(s)
		if !ok {
			return "", invalid("số điện thoại di động (10 chữ số) hoặc cố định (11 chữ số, bắt đầu bằng 02)", "a Vietnamese mobile (10 digits) or landline (11 digits starting 02) number")
		}
		s = p
	case TypeNumber:
		if !numberRE.MatchString(s) {
			return "", invalid("chỉ gồm chữ số (phần thập phân sau dấu phẩy)", "digits, with an optional decimal part")
		}
	}
	if err != nil {
		return "", err
	}
	if fd.Pattern != "" && !fd.pattern().MatchString(s) {
		return "", invalid(fd.PatternMessage, "does not match the field's pattern")
	}
	return s, nil
}

// pattern is the field's compiled pattern (compiled here for a Form not
// made by Parse; a pattern that does not compile matches nothing).
func (fd *Field) pattern() *regexp.Regexp {
	if fd.re != nil {
		return fd.re
	}
	re, err := regexp.Compile(`^(?:` + fd.Pattern + `)$`)
	if err != nil {
		return regexp.MustCompile(`[^\x00-\x{10FFFF}]`)
	}
	return re
}

var numbering = regexp.MustCompile(`^[0-9IVX]+\.\s*`)

var numberRE = regexp.MustCompile(`^[0-9]{1,15}([.,][0-9]{1,4})?$`)

func (fd *Field) max() int {
	if fd.Max > 0 {
		return fd.Max
	}
	return defaultMax[fd.Type]
}

func (fd *Field) option(v string) (Option, bool) {
	for _, o := range fd.Options {
		if o.Value == v {
			return o, true
		}
	}
	return Option{}, false
}

// checkText refuses what has no place on one printed line: control
// characters (line breaks, tabs) and invisible formatting characters.
func checkText(s string) *FieldError {
	if err := queue.CheckText("value", s, maxValue); err != nil {
		var qe *queue.Error
		if errors.As(err, &qe) {
			return invalid(strings.TrimPrefix(qe.VI, "value: "), strings.TrimPrefix(qe.EN, "value: "))
		}
		return invalid("có ký tự không dùng được", "a character that cannot be used")
	}
	return nil
}

// phone returns a Vietnamese number in its 0… digits: a mobile (the
// domain's rule) or a landline (02 and nine digits).
func phone(s string) (string, bool) {
	if p, ok := queue.ValidPhone(s); ok {
		return p, true
	}
	s = strings.NewReplacer(" ", "", ".", "", "-", "", "(", "", ")", "").Replace(s)
	if strings.HasPrefix(s, "+84") {
		s = "0" + s[3:]
	}
	if len(s) != 11 || !strings.HasPrefix(s, "02") {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

// dateOf is the calendar date of t as a time at midnight UTC, to compare
// with parsed dates.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
