// Package devices is the one place that opens the kiosk's devices — the
// ticket printer, the card/QR reader, the document scanner — for the
// daemon and the technician's tools, or runs them as simulators on
// pseudo-terminals: each device is chosen by one spec (a port, a scanner
// backend, an IPP URL for the A4 printer, or "sim"), and -simulate is
// "sim" for every one (the A4 printer: unless a URL is given). It is the only
// production package that imports the simulators. It reports each
// device's status in plain words, splits the reader's lines into booking
// codes and ID cards, and tells whether its loops are healthy (for the
// systemd watchdog).
package devices

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/port"
	"xephang/drivers/scanner"
	"xephang/queue-server/queue"
)

// Config says which devices to open.
type Config struct {
	Printer string // port spec (serial:/dev/…?baud=N, tcp:HOST:9100, usblp:/dev/usb/lp0) or sim; "" for none
	Profile string // escpos profile name; raster-80 when empty
	Reader  string // card/QR reader port spec or sim; "" for none
	Scanner string // sane[:DEVICE], escl:URL, folder:DIR or sim; "" for none
	// A4Printer is the A4 printer's IPP URL (ipp://HOST[:PORT]/PATH,
	// ipps://…) or sim; "" for none. With Simulate and no URL it is sim
	// (jobs kept as SimDir/a4/NNNN.pdf).
	A4Printer string
	// A4CA is a PEM file of certificates trusted for an ipps:// A4
	// printer beside the system's (its self-signed certificate); "" for none.
	A4CA string
	// ChipReader is the CCCD chip reader: a PC/SC reader's name (or a
	// part of it), auto (the first), or sim; "" for none.
	ChipReader string
	// Simulate makes every device SimSpec. A simulated printer's jobs go
	// to SimDir/printer (NNNN.escpos + NNNN.png), the line paced at SimBaud.
	Simulate bool
	SimDir   string
	SimBaud  int
	// StatusEvery is how often the printer's status is read (5 s when zero).
	StatusEvery time.Duration
	Log         *slog.Logger
}

// Devices are the kiosk's open devices.
type Devices struct {
	Printer *escpos.Printer // nil when there is none
	Scanner scanner.Scanner // nil when there is none
	A4      DocumentPrinter // the A4 printer, nil when there is none
	Sim     *Sim            // the simulators of the devices specified sim, else nil
	Chip    ChipReader      // the chip reader, nil when there is none

	cfg        Config
	printerDev *port.Reconnecting
	readerDev  *port.Reconnecting

	mu          sync.Mutex
	status      escpos.Status
	statusErr   error
	polled      time.Time
	readerAlive bool
	readerErr   error
}

// Open opens the configured devices. Ports that are not there yet are
// opened again in the background until they are.
func Open(cfg Config) (*Devices, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.StatusEvery <= 0 {
		cfg.StatusEvery = 5 * time.Second
	}
	prof, err := escpos.ProfileByName(cfg.Profile)
	if err != nil {
		return nil, err
	}
	if cfg.Simulate {
		cfg.Printer, cfg.Reader, cfg.Scanner = SimSpec, SimSpec, SimSpec
		if cfg.ChipReader == "" {
			cfg.ChipReader = SimSpec
		}
	}
	d := &Devices{}
	if d.Sim, err = startSims(&cfg, prof); err != nil {
		return nil, err
	}
	if d.Scanner, err = OpenScanner(cfg.Scanner); err != nil {
		d.Sim.Close()
		return nil, err
	}
	if d.A4, err = openA4(cfg); err != nil {
		d.Sim.Close()
		return nil, err
	}
	if d.Sim != nil && d.Sim.Chip != nil {
		d.Chip = d.Sim.Chip
	} else if d.Chip, err = OpenChipReader(cfg.ChipReader); err != nil {
		d.Sim.Close()
		return nil, err
	}
	d.cfg = cfg
	if cfg.Printer != "" {
		spec := cfg.Printer
		d.printerDev = port.NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) { return port.Open(ctx, spec) },
			port.Backoff{}, func(s port.State, err error) { cfg.Log.Info("printer port", "state", s.String(), "err", err) })
		d.Printer = escpos.New(d.printerDev, d.printerDev, prof)
	}
	if cfg.Reader != "" {
		spec := cfg.Reader
		d.readerDev = port.NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) { return port.Open(ctx, spec) },
			port.Backoff{}, func(s port.State, err error) { cfg.Log.Info("card reader port", "state", s.String(), "err", err) })
	}
	return d, nil
}

// WaitReady waits until the printer's port is open (or ctx is done).
func (d *Devices) WaitReady(ctx context.Context) error {
	if d.printerDev == nil {
		return nil
	}
	return d.printerDev.WaitState(ctx, port.Connected)
}

// RunStatus reads the printer's status every StatusEvery until ctx is
// done, calling onChange when what it says changes.
func (d *Devices) RunStatus(ctx context.Context, onChange func(escpos.Status)) {
	t := time.NewTicker(d.cfg.StatusEvery)
	defer t.Stop()
	var last *escpos.Status
	for {
		if d.Printer != nil {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			st, err := d.Printer.Status(c)
			cancel()
			if err != nil {
				st.NoReply = true
			}
			d.mu.Lock()
			d.status, d.statusErr = st, err
			d.mu.Unlock()
			if onChange != nil && (last == nil || *last != st) {
				onChange(st)
			}
			last = &st
		}
		d.mu.Lock()
		d.polled = time.Now()
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunReader reads the card/QR reader until ctx is done: a booking code
// goes to onCode, anything else to the ID-card parser and onCard.
func (d *Devices) RunReader(ctx context.Context, onCard func(idcard.Event), onCode func(string)) {
	if d.readerDev == nil {
		return
	}
	d.mu.Lock()
	d.readerAlive = true
	d.mu.Unlock()
	pr, pw := io.Pipe()
	events := make(chan idcard.Event)
	go func() {
		err := splitCodes(d.readerDev, pw, onCode)
		pw.CloseWithError(err)
	}()
	go func() {
		err := idcard.NewReader(pr).Run(ctx, events)
		d.mu.Lock()
		d.readerAlive, d.readerErr = ctx.Err() != nil, err
		d.mu.Unlock()
		close(events)
	}()
	for {
		select {
		case <-ctx.Done():
			pr.Close()
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			onCard(ev)
		}
	}
}

// splitCodes copies the reader's lines to w, except booking codes (a QR
// of the booking confirmation), which go to onCode.
func splitCodes(r io.Reader, w io.Writer, onCode func(string)) error {
	var line []byte
	buf := make([]byte, 256)
	flush := func(end byte) error {
		s := queue.NormBookingCode(string(line))
		defer func() { line = line[:0] }()
		if queue.ValidBookingCode(s) {
			onCode(s)
			return nil
		}
		_, err := w.Write(append(line, end))
		return err
	}
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b == '\r' || b == '\n' {
				if err := flush(b); err != nil {
					return err
				}
				continue
			}
			line = append(line, b)
			if len(line) > 4<<10 { // no terminator: let the parser reject it
				if err := flush('\n'); err != nil {
					return err
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				flush('\n')
			}
			return err
		}
	}
}

// Status returns each device's status for the screen and the heartbeat.
func (d *Devices) Status() []queue.DeviceStatus {
	d.mu.Lock()
	st, serr, polled := d.status, d.statusErr, d.polled
	alive, rerr := d.readerAlive, d.readerErr
	d.mu.Unlock()
	var out []queue.DeviceStatus
	if d.printerDev != nil {
		dev := queue.DeviceStatus{Name: "printer", Kind: "printer", Status: "ok", Detail: st.Reason()}
		ps, perr := d.printerDev.State()
		switch {
		case ps != port.Connected:
			dev.Status, dev.Detail = "disconnected", "Máy in chưa kết nối"
			if perr != nil {
				dev.Detail += ": " + perr.Error()
			}
		case polled.IsZero():
			dev.Status, dev.Detail = "unknown", "Đang kiểm tra máy in"
		case serr != nil || !st.CanPrint():
			dev.Status = "error"
		case st.PaperNearEnd:
			dev.Status = "warning"
		}
		out = append(out, dev)
	} else {
		out = append(out, queue.DeviceStatus{Name: "printer", Kind: "printer", Status: "absent", Detail: "Không cấu hình máy in"})
	}
	if d.readerDev != nil {
		dev := queue.DeviceStatus{Name: "card-reader", Kind: "card-reader", Status: "ok", Detail: "Sẵn sàng đọc thẻ"}
		rs, perr := d.readerDev.State()
		switch {
		case rs != port.Connected:
			dev.Status, dev.Detail = "disconnected", "Đầu đọc thẻ chưa kết nối"
			if perr != nil {
				dev.Detail += ": " + perr.Error()
			}
		case !alive && rerr != nil:
			dev.Status, dev.Detail = "error", "Đầu đọc thẻ lỗi: "+rerr.Error()
		}
		out = append(out, dev)
	}
	if d.Chip != nil {
		out = append(out, chipStatus(d.Chip))
	}
	if d.Scanner != nil {
		out = append(out, queue.DeviceStatus{Name: "scanner", Kind: "scanner", Status: "ok", Detail: fmt.Sprint(d.Scanner)})
	}
	if d.A4 != nil {
		out = append(out, d.A4.Status())
	}
	return out
}

// Healthy reports whether the device loops run: the status loop polled
// within three periods and the reader loop did not stop on its own. A
// device unplugged is not unhealthy (the loops wait for it); a wedged
// loop is, and the watchdog then lets systemd restart kioskd.
func (d *Devices) Healthy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.polled.IsZero() || time.Since(d.polled) > 3*d.cfg.StatusEvery+5*time.Second {
		return false
	}
	return d.readerDev == nil || d.readerAlive
}

// Close closes the ports and stops the simulators.
func (d *Devices) Close() error {
	if d.printerDev != nil {
		d.printerDev.Close()
	}
	if d.readerDev != nil {
		d.readerDev.Close()
	}
	d.Sim.Close()
	return nil
}
