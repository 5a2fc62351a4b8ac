package flow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
	"xephang/kiosk/formfill"
	"xephang/kiosk/outbox"
	"xephang/queue-server/forms"
)

// fakeA4 keeps what it was given to print.
type fakeA4 struct {
	mu   sync.Mutex
	jobs []string
	fail error
}

func (a *fakeA4) PrintPDF(_ context.Context, name string, pdf []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.jobs = append(a.jobs, name+":"+string(pdf))
	return nil
}

// renderValues stands in for the PDF: the values, one a line.
func renderValues(f *forms.Form, v *forms.Filled, ref string) ([]byte, error) {
	var b strings.Builder
	b.WriteString("%PDF-fake " + f.Procedure + " " + ref + "\n")
	for _, sec := range f.Sections {
		for _, fd := range sec.Fields {
			if val, ok := v.Values[fd.Name]; ok {
				b.WriteString(fd.Name + "=" + val + "\n")
			}
		}
	}
	return []byte(b.String()), nil
}

func childValues(values map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range values {
		out[k] = v
	}
	for k, v := range map[string]string{"applicant_relation": "Cha", "child_name": "Nguyễn Thị Thuỷ Tiên", "child_birth_date": "2026-11-20",
		"child_sex": "F", "child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Bệnh viện Phụ sản Hà Nội"} {
		out[k] = v
	}
	return out
}

// The form flow offline: the card tapped at "put your card" fills the
// form and opens it; the values are checked; without an A4 printer the
// screen is told so; the number taken keeps the form with it in the
// outbox, the card's untouched fields marked as from the card.
func TestFormFilledFromTheCardGoesWithTheTicket(t *testing.T) {
	k, pr, st, events := newOfflineKiosk(t)
	ctx := context.Background()
	if _, err := k.FormToFill("khai-sinh"); !errors.Is(err, errFormsUnavailable) {
		t.Fatalf("without forms: %v", err)
	}
	k.cfg.Forms, k.cfg.CardPerson, k.cfg.RenderForm = forms.Default(), formfill.Person, renderValues
	for name, want := range map[string]string{"Trung tâm Phục vụ hành chính công phường Thử": "phường Thử",
		"Bộ phận một cửa xã Hải Hậu": "xã Hải Hậu", "Trung tâm đặc khu Phú Quốc": "đặc khu Phú Quốc", "Trung tâm tỉnh": ""} {
		if got := Commune(name); got != want {
			t.Errorf("Commune(%q) = %q, want %q", name, got, want)
		}
	}
	if list := k.Forms(); len(list) != 6 || list[0].Name == "" || list[0].Version == "" {
		t.Fatalf("forms %+v", list)
	}
	v, err := k.FormToFill("khai-sinh")
	if err != nil || v.CardRead || v.Values["applicant_name"] != "" || len(v.Sources) != 0 || v.Form.Procedure != "khai-sinh" {
		t.Fatalf("before a card: %+v %v", v, err)
	}
	var fe *Error
	if _, err := k.FormToFill("nope"); !errors.As(err, &fe) || fe.Code != "unknown_form" {
		t.Errorf("unknown: %v", err)
	}
	if err := k.Machine.Start(Form); err != nil {
		t.Fatal(err)
	}
	if err := k.Machine.Go(Form, StepCard, map[string]string{"procedure": "khai-sinh"}); err != nil {
		t.Fatal(err)
	}
	card, err := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k.Card(ctx, idcard.Event{Card: card})
	if st := k.Machine.State(); st.Flow != Form || st.Step != StepFill {
		t.Fatalf("after the card: %+v", st)
	}
	for range len(events) {
		if e := <-events; e.Type == "card" {
			if b, _ := json.Marshal(e); strings.Contains(string(b), "Nguyễn") || strings.Contains(string(b), card.IDNumber) {
				t.Errorf("the card event carries personal data: %s", b)
			}
		}
	}
	v, _ = k.FormToFill("khai-sinh")
	if !v.CardRead || v.Values["applicant_name"] != "Nguyễn Văn An" || v.Values["applicant_id_number"] != card.IDNumber ||
		v.Sources["applicant_name"] != "card" || v.Sources["applicant_address"] != "card" {
		t.Fatalf("prefilled %+v %+v", v.Values, v.Sources)
	}
	// Live checking: what is missing, in Vietnamese.
	errs, err := k.CheckForm("khai-sinh", v.Values)
	if err != nil || len(errs) == 0 {
		t.Fatalf("check %v %v", errs, err)
	}
	missing := map[string]string{}
	for _, e := range errs {
		missing[e.Field] = e.Code
		if e.Message == "" || e.Message == e.MessageEN {
			t.Errorf("message %+v", e)
		}
	}
	if missing["child_name"] != "required" || missing["applicant_name"] != "" {
		t.Errorf("errors %+v", errs)
	}
	values := childValues(v.Values)
	values["applicant_address"] = "Số 5 Hàng Bài, phường Hoàn Kiếm, Hà Nội" // moved since the card
	if errs, _ := k.CheckForm("khai-sinh", values); len(errs) != 0 {
		t.Fatalf("complete form: %+v", errs)
	}
	// No A4 printer: said so, nothing printed.
	if err := k.PrintForm(ctx, "khai-sinh", values); !errors.As(err, &fe) || fe.Code != "no_a4_printer" {
		t.Fatalf("no A4: %v", err)
	}
	a4 := &fakeA4{}
	k.cfg.A4 = a4
	bad := childValues(v.Values)
	bad["child_birth_date"] = "2099-01-01"
	err = k.PrintForm(ctx, "khai-sinh", bad)
	if fi, ok := AsFormInvalid(err); !ok || len(fi.Fields) != 1 || fi.Fields[0].Code != "future_date" || !errors.As(err, &fe) || fe.Code != "invalid_form" {
		t.Fatalf("future date: %v", err)
	}
	if err := k.PrintForm(ctx, "khai-sinh", values); err != nil || len(a4.jobs) != 1 || !strings.Contains(a4.jobs[0], "child_name=Nguyễn Thị Thuỷ Tiên") {
		t.Fatalf("printed %v %v", a4.jobs, err)
	}
	// The real renderer: the official layout, the centre's commune as addressee.
	k.cfg.RenderForm = nil
	if err := k.PrintForm(ctx, "khai-sinh", values); err != nil || len(a4.jobs) != 2 || !strings.HasPrefix(a4.jobs[1], "to-khai-khai-sinh:%PDF-") {
		t.Fatalf("printed with forms' PDF: %v", err)
	}
	a4.fail = errors.New("ipp: printer stopped")
	if err := k.PrintForm(ctx, "khai-sinh", values); !errors.As(err, &fe) || fe.Code != "a4_print_failed" {
		t.Errorf("A4 failure: %v", err)
	}
	// The number, offline, with the form kept.
	p, err := k.FormTicket(ctx, "khai-sinh", values, "", "")
	if err != nil || p.Number != "A101" || !p.Offline || len(pr.printed) != 1 {
		t.Fatalf("ticket %+v %v", p, err)
	}
	if st := k.Machine.State(); st.Flow != Form || st.Step != StepPrinted {
		t.Errorf("state %+v", st)
	}
	pending, _ := st.Tickets(outbox.Pending)
	if len(pending) != 1 || len(pending[0].Form) == 0 {
		t.Fatalf("outbox %+v", pending)
	}
	var kept forms.Filled
	if err := json.Unmarshal(pending[0].Form, &kept); err != nil {
		t.Fatal(err)
	}
	if kept.Procedure != "khai-sinh" || kept.Version == "" || kept.Values["applicant_name"] != "Nguyễn Văn An" ||
		kept.Values["child_name"] != "Nguyễn Thị Thuỷ Tiên" || kept.Sources["applicant_name"] != "card" ||
		kept.Sources["applicant_address"] != "" || kept.Sources["child_name"] != "" {
		t.Errorf("kept %+v", kept)
	}
	// Refused before a number: invalid values, an unknown service.
	if _, err := k.FormTicket(ctx, "khai-sinh", bad, "", ""); !errors.As(err, &fe) || fe.Code != "invalid_form" {
		t.Errorf("invalid: %v", err)
	}
	if _, err := k.FormTicket(ctx, "khai-sinh", values, "Z", ""); !errors.As(err, &fe) || fe.Code != "unknown_service" {
		t.Errorf("unknown service: %v", err)
	}
	// Home forgets the card.
	k.Machine.Home()
	waitFor(t, func() bool { v, _ := k.FormToFill("khai-sinh"); return !v.CardRead })
	// A card read in the session's pre-check fills the form too.
	k.Machine.Start(Precheck)
	k.Card(ctx, idcard.Event{Card: card})
	k.Machine.Start(Form)
	if v, _ := k.FormToFill("khai-sinh"); !v.CardRead || v.Values["applicant_name"] != "Nguyễn Văn An" {
		t.Errorf("after the pre-check's card: %+v", v.Values)
	}
}
