package flow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"xephang/drivers/idcard"
	"xephang/kiosk/catalogue"
	"xephang/kiosk/devices"
	"xephang/queue-server/forms"
	"xephang/queue-server/queue"
)

// The form flow: a procedure's tờ khai, prefilled from the card read in
// this session, completed on the screen, checked as it is typed, printed
// on the A4 printer or sent with a number to the counter.

// A4Printer prints whole documents (a filled form) as PDF: the kiosk's A4
// printer (devices.DocumentPrinter).
type A4Printer interface {
	PrintPDF(ctx context.Context, name string, pdf []byte) error
}

// FormRenderer renders a filled form in the official layout, ref (a
// ticket number, or "") in its footer; (*forms.Form).PDF with the
// centre's commune and place when none is given.
type FormRenderer func(f *forms.Form, v *forms.Filled, ref string) ([]byte, error)

// FormInfo is a form as the screen lists it.
type FormInfo struct {
	Procedure string `json:"procedure"`
	Version   string `json:"version"`
	Title     string `json:"title"`
	Name      string `json:"name"` // the procedure's name, as the catalogue says it
	NameEN    string `json:"name_en,omitempty"`
}

// FormView is a form to fill: its definition, the values the card read in
// this session gives (and "today"), which fields came from the card.
type FormView struct {
	Form     *forms.Form       `json:"form"`
	Values   map[string]string `json:"values"`
	Sources  map[string]string `json:"sources"`
	CardRead bool              `json:"card_read"`
}

// FormInvalid is a form whose values do not pass: each field's error.
type FormInvalid struct {
	Refusal *Error
	Fields  []forms.FieldError
}

func (e *FormInvalid) Error() string { return e.Refusal.Error() }

// Unwrap is the refusal, with its code and words.
func (e *FormInvalid) Unwrap() error { return e.Refusal }

var (
	errFormsUnavailable = errorf("forms_unavailable",
		"Ki-ốt này chưa có tờ khai điện tử. Vui lòng lấy số và khai tại quầy.",
		"This kiosk has no forms. Please take a number and fill the form at a counter.")
	errNoA4 = errorf("no_a4_printer",
		"Ki-ốt này không có máy in A4. Vui lòng chọn \"Lấy số kèm tờ khai\": cán bộ sẽ in tờ khai tại quầy.",
		"This kiosk has no A4 printer. Please take a number with the form: the counter prints it.")
	errA4Failed = errorf("a4_print_failed",
		"Bạn vẫn có thể lấy số kèm tờ khai: cán bộ sẽ in tờ khai tại quầy.",
		"The A4 printer could not print the form. Please take a number with the form or tell a staff member.")
	errFormRender = errorf("form_render",
		"Không tạo được bản in tờ khai. Vui lòng lấy số kèm tờ khai hoặc báo cán bộ.",
		"The form could not be rendered. Please take a number with the form or tell a staff member.")
)

func unknownForm(procedure string) *Error {
	return errorf("unknown_form", "Thủ tục này chưa có tờ khai điện tử: "+procedure+".", "No form for procedure "+procedure+".")
}

// formInvalid is the refusal of a form with field errors.
func formInvalid(errs []forms.FieldError) *FormInvalid {
	return &FormInvalid{Refusal: errorf("invalid_form", "Tờ khai còn thông tin chưa đúng, vui lòng kiểm tra các ô được đánh dấu.",
		"Some fields of the form are not right; please check the marked ones."), Fields: errs}
}

// FormsAvailable reports whether this kiosk has forms.
func (k *Kiosk) FormsAvailable() bool { return k.cfg.Forms != nil }

// renderForm renders a filled form with forms' official layout, the
// centre's commune as addressee and place.
func (k *Kiosk) renderForm(f *forms.Form, v *forms.Filled, ref string) ([]byte, error) {
	if k.cfg.RenderForm != nil {
		return k.cfg.RenderForm(f, v, ref)
	}
	opt := forms.RenderOptions{Ref: ref, Now: k.today()}
	if k.cfg.Link != nil {
		if centre, ok := k.cfg.Link.Centre(); ok {
			opt.Commune = Commune(centre.Name)
			opt.Place = opt.Commune
		}
	}
	return f.PDF(v, opt)
}

// Commune is the commune a centre serves, from its name ("Trung tâm Phục
// vụ hành chính công phường Bến Thành" → "phường Bến Thành"); "" when the
// name does not say.
func Commune(centre string) string {
	words := strings.Fields(centre)
	for i := len(words) - 1; i >= 0; i-- {
		switch Fold(words[i]) {
		case "phuong", "xa", "thi tran":
			if i+1 < len(words) {
				return strings.Join(words[i:], " ")
			}
		case "khu":
			if i > 0 && Fold(words[i-1]) == "dac" && i+1 < len(words) {
				return strings.Join(words[i-1:], " ")
			}
		}
	}
	return ""
}

// A4Available reports whether this kiosk prints forms on an A4 printer.
func (k *Kiosk) A4Available() bool { return k.cfg.A4 != nil && k.cfg.Forms != nil }

// Forms lists the forms, in the catalogue's order of procedures.
func (k *Kiosk) Forms() []FormInfo {
	out := []FormInfo{}
	if k.cfg.Forms == nil {
		return out
	}
	for _, f := range k.cfg.Forms.Forms() {
		fi := FormInfo{Procedure: f.Procedure, Version: f.Version, Title: f.Title, Name: f.Title}
		if p, err := catalogue.Default().Procedure(f.Procedure); err == nil {
			fi.Name, fi.NameEN = p.Name, p.NameEN
		}
		out = append(out, fi)
	}
	return out
}

// form finds a procedure's form.
func (k *Kiosk) form(procedure string) (*forms.Form, error) {
	if k.cfg.Forms == nil {
		return nil, errFormsUnavailable
	}
	f, err := k.cfg.Forms.Form(procedure)
	if err != nil {
		return nil, unknownForm(procedure)
	}
	return f, nil
}

// today is the centre's date now (the form's date, and what dates must
// not pass).
func (k *Kiosk) today() time.Time {
	now := time.Now()
	if k.cfg.Link != nil {
		centre, _ := k.cfg.Link.Centre()
		now = k.cfg.Link.Now().In(centre.Location())
	}
	return time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, now.Location())
}

// formCard is the card read in this session's form flow, else the one
// read in its pre-check (the same citizen), nil when none.
func (k *Kiosk) formCard() *idcard.Card {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fcard == nil && k.pre != nil {
		return k.pre.card
	}
	return k.fcard
}

// prefill is what the session's card gives a form: values (with today's
// date) and the fields that came from the card.
func (k *Kiosk) prefill(f *forms.Form) (values, sources map[string]string) {
	card := k.formCard()
	p := forms.Person{}
	if card != nil && k.cfg.CardPerson != nil {
		p = k.cfg.CardPerson(card)
	}
	values = f.Prefill(p, "card", k.today())
	sources = map[string]string{}
	if card == nil {
		return values, sources
	}
	for _, sec := range f.Sections {
		for _, fd := range sec.Fields {
			if _, ok := values[fd.Name]; ok && strings.HasPrefix(fd.Source, "card.") {
				sources[fd.Name] = "card"
			}
		}
	}
	return values, sources
}

// FormToFill returns a procedure's form with what the session's card gives.
func (k *Kiosk) FormToFill(procedure string) (FormView, error) {
	f, err := k.form(procedure)
	if err != nil {
		return FormView{}, err
	}
	values, sources := k.prefill(f)
	return FormView{Form: f, Values: values, Sources: sources, CardRead: k.formCard() != nil}, nil
}

// filled makes the form's Filled of values: a field whose value is still
// the card's keeps "card" as its source. It is validated (values NFC and
// canonical in place); the errors, if any, come back.
func (k *Kiosk) filled(f *forms.Form, values map[string]string) (*forms.Filled, []forms.FieldError) {
	pre, src := k.prefill(f)
	v := &forms.Filled{Procedure: f.Procedure, Version: f.Version, Values: map[string]string{}, Sources: map[string]string{}}
	for name, val := range values {
		v.Values[name] = val
	}
	errs := f.Validate(v, k.today())
	for name, s := range src {
		if got, ok := v.Values[name]; ok && got == pre[name] {
			v.Sources[name] = s
		}
	}
	if len(v.Sources) == 0 {
		v.Sources = nil
	}
	return v, errs
}

// CheckForm validates values as they are typed: each field's error, none
// when the form may be printed or sent.
func (k *Kiosk) CheckForm(procedure string, values map[string]string) ([]forms.FieldError, error) {
	f, err := k.form(procedure)
	if err != nil {
		return nil, err
	}
	_, errs := k.filled(f, values)
	if errs == nil {
		errs = []forms.FieldError{}
	}
	return errs, nil
}

// PrintForm prints the filled form on the A4 printer.
func (k *Kiosk) PrintForm(ctx context.Context, procedure string, values map[string]string) error {
	f, err := k.form(procedure)
	if err != nil {
		return err
	}
	if k.cfg.A4 == nil {
		return errNoA4
	}
	v, errs := k.filled(f, values)
	if len(errs) > 0 {
		return formInvalid(errs)
	}
	if !k.a4Mu.TryLock() {
		return errBusy
	}
	defer k.a4Mu.Unlock()
	if err := k.serving(); err != nil {
		return err
	}
	k.Machine.Touch()
	pdf, err := k.renderForm(f, v, "")
	if err != nil {
		k.cfg.Log.Error("rendering a form", "procedure", f.Procedure, "err", err) // the error names no value
		return errFormRender
	}
	if err := k.cfg.A4.PrintPDF(ctx, "to-khai-"+f.Procedure, pdf); err != nil {
		k.cfg.Log.Warn("printing a form on the A4 printer", "procedure", f.Procedure, "err", err)
		return &Error{Code: errA4Failed.Code, VI: strings.TrimSuffix(devices.DescribeA4(err), ".") + ". " + errA4Failed.VI,
			EN: errA4Failed.EN + " (" + err.Error() + ")", Err: err}
	}
	k.cfg.Log.Info("form printed", "procedure", f.Procedure, "bytes", len(pdf))
	k.Machine.Touch()
	return nil
}

// FormTicket takes a number with the filled form attached — put on the
// ticket at once online; kept with it in the outbox and put on replay
// offline — for service (the procedure's when empty) and prints the ticket.
func (k *Kiosk) FormTicket(ctx context.Context, procedure string, values map[string]string, service, priority string) (Printed, error) {
	f, err := k.form(procedure)
	if err != nil {
		return Printed{}, err
	}
	v, errs := k.filled(f, values)
	if len(errs) > 0 {
		return Printed{}, formInvalid(errs)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return Printed{}, err
	}
	centre, release, err := k.begin()
	if err != nil {
		return Printed{}, err
	}
	defer release()
	var svc queue.Service
	ok := false
	if service != "" {
		if svc, ok = centre.Service(service); !ok {
			return Printed{}, unknownService(service)
		}
	} else if proc, err := catalogue.Default().Procedure(f.Procedure); err == nil {
		svc, ok = k.serviceFor(centre, proc)
	}
	if !ok {
		return Printed{}, errChooseService
	}
	if open, next := k.WalkIn(); !open {
		return Printed{}, outsideHours(next, centre.Location())
	}
	priority, err = k.grant(priority)
	if err != nil {
		return Printed{}, err
	}
	if err := k.Machine.Enter(Form, StepPrinting, map[string]string{"service": svc.Code, "procedure": f.Procedure}); err != nil {
		return Printed{}, errBusy
	}
	p, err := k.takeNumber(ctx, centre, svc, priority, attachments{form: raw})
	if err == nil {
		k.cardUsed()
		k.cfg.Log.Info("number taken with a form", "number", p.Number, "procedure", f.Procedure, "offline", p.Offline)
	}
	k.finish(Form, p, err)
	return p, err
}

// formCardRead keeps a card read in the form flow: it fills the form (the
// screen asks for it again) and, as in take-number, goes with the ticket.
func (k *Kiosk) formCardRead(card *idcard.Card) *CardRead {
	centre, _ := k.cfg.Link.Centre()
	age := card.Age(k.cfg.Link.Now().In(centre.Location()))
	k.mu.Lock()
	k.fcard = card
	k.cardID = card.IDNumber
	elderly := age >= k.cfg.ElderlyAge
	if elderly {
		k.elderly = true
	}
	k.mu.Unlock()
	cr := &CardRead{OK: true, Message: "Đã đọc thẻ; tờ khai đã được điền sẵn thông tin trên thẻ.",
		EN: "Card read; the form is filled in with what the card says."}
	if elderly {
		cr.Priority, cr.Age = queue.PriorityElderly, k.cfg.ElderlyAge
	}
	return cr
}

// AsFormInvalid returns the field errors of a form refused for them.
func AsFormInvalid(err error) (*FormInvalid, bool) {
	var fi *FormInvalid
	ok := errors.As(err, &fi)
	return fi, ok
}
