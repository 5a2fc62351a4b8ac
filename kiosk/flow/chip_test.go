package flow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// fakeChip stands in for the daemon's chip reader: it answers every read
// with read or err, after reporting waiting and reading.
type fakeChip struct {
	mu      sync.Mutex
	read    *ChipRead
	err     error
	delay   time.Duration
	optical []*idcard.Card
}

func (f *fakeChip) ReadChip(ctx context.Context, optical *idcard.Card, progress func(string)) (*ChipRead, error) {
	f.mu.Lock()
	f.optical = append(f.optical, optical)
	read, err, delay := f.read, f.err, f.delay
	f.mu.Unlock()
	progress(ChipWaiting)
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	progress(ChipReading)
	if err != nil {
		return nil, err
	}
	c := *read
	card := *read.Card
	c.Card = &card
	return &c, nil
}

const fakeFace = "\xff\xd8\xff\xe0 a face, as JPEG"

// chipOf is the chip's read of the QR sample's card: the same person, the
// name with every tone mark the QR printed without some (a QR made by a
// careless printer, say) and the residence.
func chipOf(t *testing.T, authenticity string) *ChipRead {
	t.Helper()
	card, err := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	card.Source, card.ExpiryDerived = idcard.SourceChip, false
	card.Name = "Nguyễn Văn Ấn"
	card.Address = "Số 1 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội"
	out, _ := json.Marshal(map[string]any{"source": "chip", "id_number": card.IDNumber, "name": card.Name, "residence": card.Address, "authenticity": authenticity})
	return &ChipRead{Card: card, Authenticity: authenticity, Problems: []string{}, Mismatches: []string{}, Output: out, FaceJPEG: []byte(fakeFace)}
}

func drain(events chan Event) []Event {
	var out []Event
	for {
		select {
		case e := <-events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func chipEvents(t *testing.T, evs []Event) []ChipProgress {
	t.Helper()
	var out []ChipProgress
	for _, e := range evs {
		b, _ := json.Marshal(e)
		for _, secret := range []string{"Nguyễn", "Ấn", "001095012345", base64.StdEncoding.EncodeToString([]byte(fakeFace)), "Tràng Tiền"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("an event to the touchscreen carries personal data (%q): %s", secret, b)
			}
		}
		if e.Type == "chip" {
			out = append(out, *e.Chip)
		}
	}
	return out
}

func TestChipCardGoesWithTheTicket(t *testing.T) {
	k, _, st, events := newOfflineKiosk(t)
	fc := &fakeChip{read: chipOf(t, "genuine")}
	k.cfg.Chip = fc
	ctx := context.Background()
	k.Machine.Start(TakeNumber)
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	k.Card(ctx, idcard.Event{Card: optical})
	chips := chipEvents(t, drain(events))
	var states []string
	for _, c := range chips {
		states = append(states, c.State)
		if c.Message == "" || c.EN == "" {
			t.Errorf("chip event without words: %+v", c)
		}
	}
	if !slices.Equal(states, []string{ChipWaiting, ChipReading, ChipDone}) || chips[2].Authenticity != "genuine" {
		t.Fatalf("chip events %+v", chips)
	}
	if len(fc.optical) != 1 || fc.optical[0] != optical {
		t.Fatalf("the chip was read with %v", fc.optical)
	}
	if k.cardNumber() != optical.IDNumber {
		t.Errorf("the session's number %q", k.cardNumber())
	}
	p, err := k.TakeNumber(ctx, "A", "")
	if err != nil {
		t.Fatal(err)
	}
	pend, _ := st.Tickets(outbox.Pending)
	if len(pend) != 1 || pend[0].Number != p.Number {
		t.Fatalf("outbox %+v", pend)
	}
	var id struct {
		Authenticity string            `json:"authenticity"`
		Problems     []string          `json:"problems"`
		Mismatches   []string          `json:"mismatches"`
		Card         map[string]string `json:"card"`
		Face         []byte            `json:"face"`
	}
	if err := json.Unmarshal(pend[0].Identity, &id); err != nil {
		t.Fatal(err)
	}
	if id.Authenticity != "genuine" || id.Card["name"] != "Nguyễn Văn Ấn" || string(id.Face) != fakeFace || id.Problems == nil || id.Mismatches == nil {
		t.Errorf("identity kept with the ticket %s", pend[0].Identity)
	}
	// One card, one ticket: the next ticket of the session has no identity.
	if k.sessionIdentity() != nil {
		t.Error("the identity outlived its ticket")
	}
}

func TestChipFailureFallsBackToTheOpticalCard(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("devices: %w", ErrChipAbsent), "Không thấy thẻ"},
		{fmt.Errorf("chip: %w", ErrChipKey), "MRZ"},
		{fmt.Errorf("chip: %w", ErrChipAccess), "không mở được"},
		{fmt.Errorf("chip: %w", ErrChipRemoved), "rời đầu đọc"},
		{errors.New("pcsc: reader gone"), "Không đọc được chip"},
	} {
		t.Run(c.want, func(t *testing.T) {
			k, _, st, events := newOfflineKiosk(t)
			k.cfg.Chip = &fakeChip{err: c.err}
			k.cfg.Forms, k.cfg.CardPerson = forms.Default(), formfill.Person
			k.Machine.Start(Form)
			k.Machine.Go(Form, StepCard, map[string]string{"procedure": "khai-sinh"})
			optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
			k.Card(context.Background(), idcard.Event{Card: optical})
			chips := chipEvents(t, drain(events))
			last := chips[len(chips)-1]
			if last.State != ChipFailed || !strings.Contains(last.Message, c.want) || !strings.Contains(last.Message, "dùng thông tin") {
				t.Errorf("failure said %+v", last)
			}
			// The form is filled from the optical read.
			v, _ := k.FormToFill("khai-sinh")
			if v.Values["applicant_name"] != "Nguyễn Văn An" {
				t.Errorf("form filled with %q", v.Values["applicant_name"])
			}
			if _, err := k.TakeNumber(context.Background(), "A", ""); err != nil {
				t.Fatal(err)
			}
			pend, _ := st.Tickets(outbox.Pending)
			if len(pend) != 1 || pend[0].Identity != nil {
				t.Errorf("a failed chip read sent an identity: %+v", pend)
			}
		})
	}
}

func TestChipCardFillsTheForm(t *testing.T) {
	k, _, _, events := newOfflineKiosk(t)
	k.cfg.Chip = &fakeChip{read: chipOf(t, "genuine")}
	k.cfg.Forms, k.cfg.CardPerson = forms.Default(), formfill.Person
	k.Machine.Start(Form)
	k.Machine.Go(Form, StepCard, map[string]string{"procedure": "khai-sinh"})
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	k.Card(context.Background(), idcard.Event{Card: optical})
	if st := k.Machine.State(); st.Step != StepFill {
		t.Fatalf("state %+v", st)
	}
	v, _ := k.FormToFill("khai-sinh")
	if v.Values["applicant_name"] != "Nguyễn Văn Ấn" || !strings.Contains(v.Values["applicant_address"], "thành phố Hà Nội") || v.Sources["applicant_name"] != "card" {
		t.Errorf("form prefilled with %q / %q", v.Values["applicant_name"], v.Values["applicant_address"])
	}
	chipEvents(t, drain(events))
}

func TestAlteredChipIsToldToStaffNotUsed(t *testing.T) {
	k, _, st, events := newOfflineKiosk(t)
	altered := chipOf(t, "data_altered")
	altered.Problems = []string{"DG13 hash does not match the SOD"}
	altered.Card.BirthDate = idcard.Date{Year: 1940, Month: 1, Day: 1} // made elderly
	k.cfg.Chip = &fakeChip{read: altered}
	k.Machine.Start(TakeNumber)
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	k.Card(context.Background(), idcard.Event{Card: optical})
	if k.Elderly() {
		t.Error("an altered chip's birth date granted priority")
	}
	chips := chipEvents(t, drain(events))
	if last := chips[len(chips)-1]; last.State != ChipDone || last.Authenticity != "data_altered" || !strings.Contains(last.Message, "nhân viên") {
		t.Errorf("altered said %+v", last)
	}
	k.TakeNumber(context.Background(), "A", "")
	pend, _ := st.Tickets(outbox.Pending)
	if len(pend) != 1 || !strings.Contains(string(pend[0].Identity), `"authenticity":"data_altered"`) ||
		!strings.Contains(string(pend[0].Identity), "DG13 hash") {
		t.Errorf("staff are not told: %+v", pend)
	}
}

// A chip whose chip authentication failed is a clone: its data (signed,
// intact) is not used, the citizen hears why, staff get it with the ticket.
func TestClonedChipIsToldToStaffNotUsed(t *testing.T) {
	k, _, st, events := newOfflineKiosk(t)
	cloned := chipOf(t, "genuine")
	cloned.ChipAuth = "failed"
	cloned.Output, _ = json.Marshal(map[string]any{"source": "chip", "authenticity": "genuine", "chip_auth": "failed"})
	cloned.Card.BirthDate = idcard.Date{Year: 1940, Month: 1, Day: 1} // the clone's data would make the holder elderly
	k.cfg.Chip = &fakeChip{read: cloned}
	k.Machine.Start(TakeNumber)
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	k.Card(context.Background(), idcard.Event{Card: optical})
	if k.Elderly() {
		t.Error("a cloned chip's birth date granted priority")
	}
	chips := chipEvents(t, drain(events))
	if last := chips[len(chips)-1]; last.State != ChipDone || last.ChipAuth != "failed" || !strings.Contains(last.Message, "sao chép") || !strings.Contains(last.EN, "copy") {
		t.Errorf("cloned said %+v", last)
	}
	k.TakeNumber(context.Background(), "A", "")
	pend, _ := st.Tickets(outbox.Pending)
	if len(pend) != 1 || !strings.Contains(string(pend[0].Identity), `"chip_auth":"failed"`) {
		t.Errorf("staff are not told: %+v", pend)
	}
}

func TestChipWithoutOpticalSaysWhatIsNeeded(t *testing.T) {
	k, _, _, events := newOfflineKiosk(t)
	k.cfg.Chip = &fakeChip{read: chipOf(t, "genuine")}
	k.ChipWithoutOptical(3 * time.Second)
	chips := chipEvents(t, drain(events))
	if len(chips) != 1 || chips[0].State != ChipFailed || !strings.Contains(chips[0].Message, "mã QR") {
		t.Fatalf("said %+v", chips)
	}
	k.Machine.Start(TakeNumber)
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	k.Card(context.Background(), idcard.Event{Card: optical})
	drain(events)
	k.ChipWithoutOptical(3 * time.Second) // the card just read optically lies there: nothing to say
	if chips := chipEvents(t, drain(events)); len(chips) != 0 {
		t.Errorf("said %+v after an optical read", chips)
	}
}

// Card reads with chip reads, the machine going home and tickets taken,
// all at once: the race detector watches the session's state.
func TestChipReadsRace(t *testing.T) {
	k, _, _, events := newOfflineKiosk(t)
	k.cfg.Chip = &fakeChip{read: chipOf(t, "genuine"), delay: time.Millisecond}
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-events:
			case <-done:
				return
			}
		}
	}()
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				switch i {
				case 0:
					k.Machine.Start(TakeNumber)
					k.Card(ctx, idcard.Event{Card: optical})
				case 1:
					k.Machine.Home()
					k.ChipWithoutOptical(time.Millisecond)
				case 2:
					k.TakeNumber(ctx, "A", "")
				case 3:
					k.sessionIdentity()
					k.Elderly()
				}
			}
		}()
	}
	wg.Wait()
	close(done)
}

// fakeIdentities is the server's identity route: it fails while down.
type fakeIdentities struct {
	mu   sync.Mutex
	down bool
	got  map[string]json.RawMessage
}

func (f *fakeIdentities) PutIdentity(_ context.Context, ticketID string, identity json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errors.New("dial tcp: connection refused")
	}
	if f.got == nil {
		f.got = map[string]json.RawMessage{}
	}
	f.got[ticketID] = identity
	return nil
}

// A checked-in booking's ticket is the server's alone: its identity goes
// at once, else it is kept in the outbox (delivered) for the link.
func TestCheckedInTicketsIdentity(t *testing.T) {
	k, _, st, _ := newOfflineKiosk(t)
	ids := &fakeIdentities{}
	k.cfg.Identities = ids
	ident := chipOf(t, "genuine").Identity()
	k.sendIdentity(context.Background(), Printed{Number: "A007", Service: "A", TicketID: "T-7"}, ident)
	if string(ids.got["T-7"]) != string(ident) {
		t.Fatalf("sent %v", ids.got)
	}
	if all, _ := st.Tickets(""); len(all) != 0 {
		t.Fatalf("a sent identity was written: %+v", all)
	}
	ids.down = true
	k.sendIdentity(context.Background(), Printed{Number: "A008", Service: "A", TicketID: "T-8"}, ident)
	ts, _ := st.IdentitiesToSend()
	if len(ts) != 1 || ts[0].ServerID != "T-8" || string(ts[0].Identity) != string(ident) {
		t.Fatalf("kept %+v", ts)
	}
}

// The pre-check compares the papers with the chip's card.
func TestChipCardForThePrecheck(t *testing.T) {
	k, _, _, _ := newOfflineKiosk(t)
	k.cfg.Chip = &fakeChip{read: chipOf(t, "genuine")}
	k.Machine.Start(Precheck)
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	k.Card(context.Background(), idcard.Event{Card: optical})
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pre == nil || k.pre.card == nil || k.pre.card.Source != idcard.SourceChip || k.pre.card.Name != "Nguyễn Văn Ấn" {
		t.Fatalf("the pre-check's card: %+v", k.pre)
	}
}
