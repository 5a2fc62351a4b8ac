package devices

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"xephang/drivers/emrtd/chipsim"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/escpos"
	"xephang/drivers/escpos/escpossim"
	"xephang/drivers/idcard/idcardsim"
	"xephang/drivers/scanner"
	"xephang/drivers/scanner/scannersim"
)

// SimSpec is the spec of a simulated device, for the printer, the reader
// and the scanner alike (-simulate: every one).
const SimSpec = "sim"

// Sim holds the simulators of a kiosk whose devices are specified sim;
// the demo endpoints drive them.
type Sim struct {
	Printer *PrinterSim       // nil when the printer is not simulated
	Reader  *idcardsim.Reader // nil when the reader is not simulated
	// Chip is the simulated chip reader (nil when not simulated): a
	// demo card tapped lies on it too, signed by the simulator's own
	// CSCA (ChipCSCAs), or by one outside it (chip-unknown).
	Chip    *SimChip
	pki     *lds.PKI // the simulator's CSCA and document signer
	unknown *lds.PKI // a CSCA the kiosk does not know
}

// SimChipHold is how long a demo card lies on the simulated chip reader.
var SimChipHold = 15 * time.Second

// startSims starts the simulators cfg asks for and points cfg's printer
// and reader at their pseudo-terminals; nil when it asks for none.
func startSims(cfg *Config, prof escpos.Profile) (*Sim, error) {
	sim := &Sim{}
	if cfg.Printer == SimSpec {
		if cfg.SimBaud == 0 {
			cfg.SimBaud = 115200
		}
		ps, err := StartPrinterSim(filepath.Join(cfg.SimDir, "printer"), prof.Dots, cfg.SimBaud)
		if err != nil {
			return nil, err
		}
		sim.Printer, cfg.Printer = ps, ps.Spec()
		cfg.Log.Info("simulated printer", "printer", ps.Path(), "jobs", ps.dir, "baud", cfg.SimBaud)
	}
	if cfg.Reader == SimSpec {
		rs, err := idcardsim.Start()
		if err != nil {
			sim.Close()
			return nil, fmt.Errorf("devices: reader simulator: %w", err)
		}
		sim.Reader, cfg.Reader = rs, "serial:"+rs.Path()
		cfg.Log.Info("simulated card reader", "reader", rs.Path())
	}
	if cfg.ChipReader == SimSpec {
		var err error
		if sim.pki, err = lds.NewPKI("VN", "Xếp Hàng simulator"); err == nil {
			sim.unknown, err = lds.NewPKI("VN", "An unknown issuer")
		}
		if err != nil {
			sim.Close()
			return nil, fmt.Errorf("devices: chip simulator: %w", err)
		}
		sim.Chip = NewSimChip()
		cfg.Log.Info("simulated chip reader")
	}
	if sim.Printer == nil && sim.Reader == nil && sim.Chip == nil {
		return nil, nil
	}
	return sim, nil
}

// Close stops the simulators (nothing for a nil Sim).
func (s *Sim) Close() {
	if s == nil {
		return
	}
	if s.Printer != nil {
		s.Printer.Close()
	}
	if s.Reader != nil {
		s.Reader.Close()
	}
}

// ErrNotSimulated is the answer of a demo action on a device that is not
// simulated.
var ErrNotSimulated = errors.New("devices: not simulated")

// TapCard taps a sample card on the simulated reader: adult (a QR, aged
// 35), elderly (a QR, aged 78), mrz (the adult's MRZ) or bad (a read the
// parser refuses). With a simulated chip reader the card's chip lies on
// it too (for SimChipHold): genuine, or for chip-altered (the adult's QR)
// its DG13 changed after signing, for chip-unknown signed by an issuer
// the kiosk does not know, for chip-cloned a copy of the adult's chip
// (chip authentication fails). Every simulated chip offers active
// and chip authentication (chipOptions).
func (s *Sim) TapCard(kind string) error {
	if s == nil || s.Reader == nil {
		return ErrNotSimulated
	}
	holder, opt := "adult", s.chipOptions()
	switch kind {
	case "adult", "mrz", "bad":
	case "elderly":
		holder = "elderly"
	case "chip-altered":
		opt.Alter = true
	case "chip-unknown":
		opt.PKI = s.unknown
	case "chip-cloned":
		opt.CAClone = true
	default:
		return fmt.Errorf("devices: no sample card %q", kind)
	}
	if s.Chip != nil && kind != "bad" {
		card, err := chipsim.New(chipsim.DemoHolder(holder), opt)
		if err != nil {
			return fmt.Errorf("devices: chip simulator: %w", err)
		}
		s.Chip.Put(card, SimChipHold)
	}
	switch kind {
	case "elderly":
		return s.Reader.SendQR(idcardsim.SampleElderlyQR)
	case "mrz":
		return s.Reader.SendMRZ(idcardsim.SampleMRZ...)
	case "bad":
		return s.Reader.Send([]byte("not a card\r\n"))
	}
	return s.Reader.SendQR(idcardsim.SampleQR)
}

// ChipCSCAs are the CSCAs the simulated chips are signed under (nil when
// the chip reader is not simulated).
func (s *Sim) ChipCSCAs() *lds.CSCAs {
	if s == nil || s.pki == nil {
		return nil
	}
	return lds.NewCSCAs(s.pki.CSCA)
}

// ScanCode scans a booking code (a QR) on the simulated reader.
func (s *Sim) ScanCode(code string) error {
	if s == nil || s.Reader == nil {
		return ErrNotSimulated
	}
	return s.Reader.Send([]byte(code + "\r\n"))
}

// JobsDir is the folder of the simulated printer's jobs (NNNN.escpos,
// NNNN.png); "" when the printer is not simulated.
func (s *Sim) JobsDir() string {
	if s == nil || s.Printer == nil {
		return ""
	}
	return s.Printer.dir
}

// PrinterSim is a simulated ticket printer on a pseudo-terminal: the
// daemon's with -simulate, and `kioskd printer test -simulate DIR`'s.
type PrinterSim struct {
	*escpossim.Printer
	dir  string
	baud int
}

// StartPrinterSim starts a simulated printer of dots per line keeping its
// jobs in dir, its line paced at baud (0: as fast as it comes).
func StartPrinterSim(dir string, dots, baud int) (*PrinterSim, error) {
	ps, err := escpossim.Start(escpossim.Config{Dir: dir, Dots: dots, Baud: baud})
	if err != nil {
		return nil, fmt.Errorf("devices: printer simulator: %w", err)
	}
	return &PrinterSim{Printer: ps, dir: dir, baud: baud}, nil
}

// Spec is the port spec that opens the simulated printer.
func (p *PrinterSim) Spec() string {
	baud := p.baud
	if baud == 0 {
		baud = 115200
	}
	return fmt.Sprintf("serial:%s?baud=%d", p.Path(), baud)
}

// SetState puts the simulated printer in a state a technician tests:
// paper-out, near-end or cover-open ("" leaves it ready).
func (p *PrinterSim) SetState(state string) error {
	switch state {
	case "":
	case "paper-out":
		p.SetPaperOut(true)
	case "near-end":
		p.SetNearEnd(true)
	case "cover-open":
		p.SetCoverOpen(true)
	default:
		return fmt.Errorf("simulated printer state %q: want paper-out, near-end or cover-open", state)
	}
	return nil
}

// simFeeder is the simulated scanner with three sheets put in its feeder
// before every scan, as a citizen does.
type simFeeder struct{}

func (simFeeder) String() string { return "simulated" }

func (simFeeder) Scan(ctx context.Context, opt scanner.Options, progress func(scanner.Progress)) ([]scanner.Page, error) {
	return (&scannersim.Scanner{Pages: 3, Delay: 300 * time.Millisecond, DPI: 100}).Scan(ctx, opt, progress)
}

// chipOptions are the simulated chips' options: signed by the kiosk's test
// CSCA, with chip authentication (AES-128 on brainpoolP256r1, as the CCCD's
// DG14 offers) and active authentication.
func (s *Sim) chipOptions() chipsim.Options {
	return chipsim.Options{PKI: s.pki, ChipAuth: true, ActiveAuth: true}
}
