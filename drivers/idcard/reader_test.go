package idcard_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
	"xephang/drivers/port"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func newReader(r io.Reader) *idcard.Reader {
	rd := idcard.NewReader(r)
	rd.Now = func() time.Time { return now }
	return rd
}

// collect reads events until EOF.
func collect(t *testing.T, in string) []idcard.Event {
	t.Helper()
	rd := newReader(strings.NewReader(in))
	var evs []idcard.Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
}

func TestSamplesAreValid(t *testing.T) {
	for _, in := range []string{idcardsim.SampleQR, idcardsim.SampleElderlyQR, strings.Join(idcardsim.SampleMRZ, "\n")} {
		if c, err := idcard.Parse(in, now); err != nil {
			t.Errorf("%v: %q", err, c.Errors)
		}
	}
	c, _ := idcard.Parse(idcardsim.SampleElderlyQR, now)
	if c.Age(now) < 75 {
		t.Errorf("elderly sample is %d", c.Age(now))
	}
}

func TestReaderStream(t *testing.T) {
	mrz := idcardsim.SampleMRZ
	in := idcardsim.SampleQR + "\r" + // CR only
		"\r\n\r\n" + // blank lines are ignored
		strings.Join(mrz, "\r\n") + "\r\n" +
		"garbage \x00\xff\r\n" +
		mrz[0] + "\r\n" + mrz[1] + "\r\n" + // a partial zone, then a whole one
		strings.Join(mrz, "\n") + "\n" +
		strings.Repeat("A", idcard.MaxPayload+10) + "\n" +
		strings.Join(mrz, "") + "\n" + // the whole zone on one line
		"001095012345|x\n" // a QR payload that is not a valid card
	evs := collect(t, in)
	type want struct {
		card bool
		err  error
	}
	wants := []want{
		{true, nil},
		{true, nil},
		{false, idcard.ErrUnrecognised},
		{false, idcard.ErrIncompleteMRZ},
		{true, nil},
		{false, idcard.ErrLineTooLong},
		{true, nil},
		{true, idcard.ErrInvalid},
	}
	if len(evs) != len(wants) {
		for _, ev := range evs {
			t.Logf("event card=%v err=%v", ev.Card != nil, ev.Err)
		}
		t.Fatalf("%d events, want %d", len(evs), len(wants))
	}
	for i, w := range wants {
		ev := evs[i]
		if (ev.Card != nil) != w.card || (w.err == nil) != (ev.Err == nil) || (w.err != nil && !errors.Is(ev.Err, w.err)) {
			t.Errorf("event %d: card=%v err=%v; want card=%v err=%v", i, ev.Card != nil, ev.Err, w.card, w.err)
		}
		if !ev.At.Equal(now) {
			t.Errorf("event %d at %v", i, ev.At)
		}
	}
	if evs[0].Card.Source != idcard.SourceQR || evs[1].Card.Source != idcard.SourceMRZ || evs[1].Card.IDNumber != "001095012345" {
		t.Errorf("cards: %+v %+v", evs[0].Card, evs[1].Card)
	}
}

func TestReaderIncompleteAtEOF(t *testing.T) {
	evs := collect(t, idcardsim.SampleMRZ[0]+"\n")
	if len(evs) != 1 || !errors.Is(evs[0].Err, idcard.ErrIncompleteMRZ) {
		t.Fatalf("events %+v", evs)
	}
}

// TestReaderOnSimulator runs the real serial driver against the simulated
// reader on a pseudo-terminal, including an unplug in the middle.
func TestReaderOnSimulator(t *testing.T) {
	sim, err := idcardsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	link := t.TempDir() + "/cccd-reader"
	if err := sim.Link(link); err != nil {
		t.Fatal(err)
	}
	dev := port.NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) {
		return port.OpenSerial(port.SerialConfig{Path: link, Baud: 9600})
	}, port.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}, nil)
	defer dev.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := dev.WaitState(ctx, port.Connected); err != nil {
		t.Fatal(err)
	}
	events := make(chan idcard.Event, 8)
	rd := newReader(dev)
	runErr := make(chan error, 1)
	go func() { runErr <- rd.Run(ctx, events) }()

	next := func() idcard.Event {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-ctx.Done():
			t.Fatal("no event")
		}
		return idcard.Event{}
	}
	if err := sim.SendQR(idcardsim.SampleQR); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Err != nil || ev.Card.Name != "Nguyễn Văn An" {
		t.Fatalf("QR event: %+v", ev)
	}
	if err := sim.SendMRZ(idcardsim.SampleMRZ...); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Err != nil || ev.Card.Name != "NGUYEN VAN AN" {
		t.Fatalf("MRZ event: %+v", ev)
	}
	if err := sim.Send([]byte{0xff, 0xfe, 0x00, '\r'}); err != nil {
		t.Fatal(err)
	}
	if ev := next(); !errors.Is(ev.Err, idcard.ErrUnrecognised) {
		t.Fatalf("garbage event: %+v", ev)
	}

	// Unplug and plug a new reader in under the same name. As udev does,
	// the stable name goes first: otherwise the freed /dev/pts/N may be
	// handed to another process's pty and reopened before the state is
	// seen Disconnected (a flaky test on a loaded machine).
	os.Remove(link)
	sim.Close()
	if err := dev.WaitState(ctx, port.Disconnected); err != nil {
		t.Fatal(err)
	}
	sim2, err := idcardsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim2.Close()
	if err := sim2.Link(link); err != nil {
		t.Fatal(err)
	}
	if err := dev.WaitState(ctx, port.Connected); err != nil {
		t.Fatal(err)
	}
	if err := sim2.SendQR(idcardsim.SampleElderlyQR); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Err != nil || ev.Card.Age(now) < 75 {
		t.Fatalf("after replug: %+v", ev)
	}
	cancel()
	dev.Close()
	select {
	case <-runErr:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(idcardsim.SampleQR + "\r\n" + strings.Join(idcardsim.SampleMRZ, "\r\n") + "\r\n"))
	f.Add([]byte(idcardsim.SampleMRZ[0] + "\n" + idcardsim.SampleMRZ[0] + "\n"))
	f.Add([]byte("\x00\r\xff\n|"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := newReader(strings.NewReader(string(in)))
		for i := 0; ; i++ {
			ev, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				return
			}
			if ev.Card == nil && ev.Err == nil {
				t.Fatal("empty event")
			}
			if ev.Card != nil && ev.Card.Valid != (ev.Err == nil) {
				t.Fatalf("card valid %v with err %v", ev.Card.Valid, ev.Err)
			}
			if i > len(in)+1 {
				t.Fatalf("%d events from %d bytes", i, len(in))
			}
		}
	})
}
