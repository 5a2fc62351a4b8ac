package devices

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"xephang/drivers/ipp"
	"xephang/queue-server/queue"
)

// DocumentPrinter is the kiosk's A4 printer: whole documents (a filled
// form) as PDF. The kiosk flow prints through it; nil on Devices when no
// A4 printer is configured.
type DocumentPrinter interface {
	// PrintPDF prints pdf as a job named name and returns once the
	// printer accepted it (not when the paper is out). Its errors read
	// well on the screen through DescribeA4.
	PrintPDF(ctx context.Context, name string, pdf []byte) error
	// Status is the printer's last known state, device "a4printer" of
	// GET /api/devices; it does not block.
	Status() queue.DeviceStatus
}

// A4Name is the A4 printer's name (and kind) in the devices' statuses.
const A4Name = "a4printer"

// ErrA4NotReady is an A4 printer that answers but cannot print now
// (stopped: out of paper, jammed, door open; not accepting jobs; no PDF).
var ErrA4NotReady = errors.New("devices: A4 printer not ready")

// notReady is ErrA4NotReady with what the printer said, in both languages.
type notReady struct{ vi, en string }

func (e *notReady) Error() string        { return "devices: A4 printer not ready: " + e.en }
func (e *notReady) Is(target error) bool { return target == ErrA4NotReady }

// DescribeA4 says in Vietnamese, for the screen, why an A4 print failed.
func DescribeA4(err error) string {
	var nr *notReady
	switch {
	case err == nil:
		return ""
	case errors.As(err, &nr):
		return nr.vi
	case errors.Is(err, ipp.ErrUnreachable), errors.Is(err, ipp.ErrRefused),
		errors.Is(err, ipp.ErrNotAccepting), errors.Is(err, ipp.ErrProtocol):
		return ipp.Describe(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "Máy in A4 không trả lời kịp"
	}
	return "Máy in A4 không in được. Vui lòng báo cán bộ hướng dẫn."
}

// CheckA4URL checks an A4 printer setting: ipp://HOST[:PORT]/PATH,
// ipps://…, or sim.
func CheckA4URL(s string) error {
	if s == "" || s == SimSpec {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "ipp" && u.Scheme != "ipps") || u.Host == "" {
		if err == nil {
			s = u.Redacted()
		} else {
			s = "(not a URL)"
		}
		return fmt.Errorf("A4 printer %q: want ipp://HOST[:PORT]/PATH (e.g. ipp://192.168.1.20/ipp/print), ipps://… or sim", s)
	}
	return nil
}

// openA4 opens the A4 printer of cfg: none, simulated, or over IPP.
func openA4(cfg Config) (DocumentPrinter, error) {
	spec := cfg.A4Printer
	if spec == "" && cfg.Simulate {
		spec = SimSpec
	}
	if err := CheckA4URL(spec); err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	switch spec {
	case "":
		return nil, nil
	case SimSpec:
		dir := filepath.Join(cfg.SimDir, "a4")
		cfg.Log.Info("simulated A4 printer", "jobs", dir)
		return NewA4Sim(dir)
	}
	a := NewA4(spec, cfg.Log)
	if cfg.A4CA != "" {
		if err := a.Trust(cfg.A4CA); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// A4 is an A4 printer over IPP (a network printer, or a CUPS queue).
type A4 struct {
	Printer *ipp.Printer
	log     *slog.Logger

	mu     sync.Mutex
	attrs  ipp.Attrs
	err    error
	polled time.Time
}

// NewA4 is the A4 printer at an ipp:// or ipps:// URL.
func NewA4(url string, log *slog.Logger) *A4 {
	if log == nil {
		log = slog.Default()
	}
	return &A4{Printer: &ipp.Printer{URL: url, User: "kioskd"}, log: log}
}

// Trust makes the printer's ipps:// connections trust the PEM
// certificates of the file too (a printer's self-signed certificate).
func (a *A4) Trust(pemFile string) error {
	b, err := os.ReadFile(pemFile)
	if err != nil {
		return fmt.Errorf("devices: A4 printer's certificate: %w", err)
	}
	if a.Printer.HTTP, err = ipp.TrustingClient(b); err != nil {
		return fmt.Errorf("devices: A4 printer's certificate %s: %w", pemFile, err)
	}
	return nil
}

// Poll asks the printer its state now (for the status loop and before
// printing).
func (a *A4) Poll(ctx context.Context) (ipp.Attrs, error) {
	attrs, err := a.Printer.Attributes(ctx)
	a.mu.Lock()
	a.attrs, a.err, a.polled = attrs, err, time.Now()
	a.mu.Unlock()
	return attrs, err
}

// ready says why a printer in the state attrs cannot print a PDF, nil if
// it can.
func ready(attrs ipp.Attrs) error {
	switch {
	case attrs.State == ipp.PrinterStopped:
		vi, en := reasonsVI(attrs.Reasons), strings.Join(attrs.Reasons, ", ")
		if vi == "" {
			vi, en = "tạm dừng", "stopped"
		}
		return &notReady{vi: "Máy in A4 đang dừng: " + vi, en: en}
	case !attrs.Accepting:
		return &notReady{vi: "Máy in A4 không nhận lệnh in", en: "not accepting jobs"}
	case len(attrs.Formats) > 0 && !attrs.Supports("application/pdf"):
		return &notReady{vi: "Máy in A4 không in được tệp PDF", en: "application/pdf not among " + strings.Join(attrs.Formats, ", ")}
	}
	return nil
}

// PrintPDF asks the printer whether it can print, sends the job, and
// follows it in the background to log how it ended.
func (a *A4) PrintPDF(ctx context.Context, name string, pdf []byte) error {
	attrs, err := a.Poll(ctx)
	if err != nil {
		return err
	}
	if err := ready(attrs); err != nil {
		return err
	}
	id, err := a.Printer.Print(ctx, name, "application/pdf", bytes.NewReader(pdf))
	if err != nil {
		return err
	}
	// The job's name may hold a procedure's name, never a person's; it is
	// still not logged.
	a.log.Info("A4 job sent", "job", id, "bytes", len(pdf))
	go a.follow(id)
	return nil
}

// follow waits up to 10 minutes for the job to end and logs how.
func (a *A4) follow(id int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	j, err := a.Printer.Wait(ctx, id, 2*time.Second)
	switch {
	case err != nil:
		a.log.Warn("A4 job: state unknown", "job", id, "err", err)
	case j.State != ipp.JobCompleted:
		a.log.Warn("A4 job did not complete", "job", id, "state", j.State.String(), "reasons", strings.Join(j.Reasons, ","))
	default:
		a.log.Info("A4 job completed", "job", id)
	}
}

// Status is the printer's state at the last poll.
func (a *A4) Status() queue.DeviceStatus {
	a.mu.Lock()
	attrs, err, polled := a.attrs, a.err, a.polled
	a.mu.Unlock()
	st := queue.DeviceStatus{Name: A4Name, Kind: A4Name, Status: "ok", Detail: "Máy in A4 sẵn sàng"}
	var nr *notReady
	switch {
	case polled.IsZero():
		st.Status, st.Detail = "unknown", "Đang kiểm tra máy in A4"
	case errors.Is(err, ipp.ErrUnreachable):
		st.Status, st.Detail = "disconnected", ipp.Describe(err)
	case err != nil:
		st.Status, st.Detail = "error", ipp.Describe(err)
	case errors.As(ready(attrs), &nr):
		st.Status, st.Detail = "error", nr.vi
	case attrs.State == ipp.PrinterProcessing:
		st.Detail = "Máy in A4 đang in"
	}
	if st.Status == "ok" {
		if w := reasonsVI(attrs.Reasons); w != "" {
			st.Status, st.Detail = "warning", st.Detail+": "+w
		}
	}
	return st
}

// reasonVI are printer-state-reasons (RFC 8011 §5.4.12, PWG 5100.9) in
// Vietnamese, without their -error/-warning/-report suffix.
var reasonVI = map[string]string{
	"media-empty": "hết giấy", "media-needed": "cần nạp giấy", "media-jam": "kẹt giấy", "media-low": "sắp hết giấy",
	"door-open": "mở cửa máy", "cover-open": "mở nắp máy", "input-tray-missing": "thiếu khay giấy",
	"toner-empty": "hết mực", "toner-low": "sắp hết mực", "marker-supply-empty": "hết mực", "marker-supply-low": "sắp hết mực",
	"output-area-full": "khay ra giấy đầy", "offline": "mất kết nối", "paused": "tạm dừng", "shutdown": "đang tắt",
	"spool-area-full": "bộ nhớ đầy", "other": "lỗi khác", "connecting-to-device": "đang kết nối",
	"moving-to-paused": "đang tạm dừng", "stopping": "đang dừng", "timed-out": "quá thời gian", "interpreter-resource-unavailable": "thiếu tài nguyên",
}

// reasonsVI puts the reasons in Vietnamese, leaving reports out (they
// are information, not problems) and keywords it does not know as they
// are.
func reasonsVI(reasons []string) string {
	var out []string
	for _, r := range reasons {
		if strings.HasSuffix(r, "-report") || r == "none" {
			continue
		}
		k := strings.TrimSuffix(strings.TrimSuffix(r, "-error"), "-warning")
		if vi, ok := reasonVI[k]; ok {
			k = vi
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// A4Sim is the simulated A4 printer: each job is kept as DIR/NNNN.pdf.
type A4Sim struct {
	Dir string
	mu  sync.Mutex
}

// NewA4Sim makes the simulated printer's folder.
func NewA4Sim(dir string) (*A4Sim, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("devices: simulated A4 printer: %w", err)
	}
	return &A4Sim{Dir: dir}, nil
}

// PrintPDF keeps the document as the next NNNN.pdf; it refuses what is
// not a PDF, as a printer taking only PDF would.
func (s *A4Sim) PrintPDF(ctx context.Context, name string, pdf []byte) error {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return &notReady{vi: "Máy in A4 giả lập chỉ in tệp PDF", en: "simulated printer: not a PDF"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.jobs()) + 1
	path := filepath.Join(s.Dir, fmt.Sprintf("%04d.pdf", n))
	tmp := path + ".part"
	if err := os.WriteFile(tmp, pdf, 0o600); err != nil {
		return fmt.Errorf("devices: simulated A4 printer: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("devices: simulated A4 printer: %w", err)
	}
	return nil
}

// Jobs are the paths of the jobs printed so far, in order.
func (s *A4Sim) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs()
}

func (s *A4Sim) jobs() []string {
	m, _ := filepath.Glob(filepath.Join(s.Dir, "[0-9][0-9][0-9][0-9].pdf"))
	slices.Sort(m)
	return m
}

// RunA4Status asks the A4 printer its state every period (30 s when zero)
// until ctx is done, calling onChange when the status it shows changes.
// A simulated printer, or none, needs no asking.
func (d *Devices) RunA4Status(ctx context.Context, every time.Duration, onChange func(queue.DeviceStatus)) {
	a, ok := d.A4.(*A4)
	if !ok {
		return
	}
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var last queue.DeviceStatus
	for {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		a.Poll(c)
		cancel()
		if st := a.Status(); st != last && ctx.Err() == nil {
			if onChange != nil {
				onChange(st)
			}
			last = st
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Status of the simulated printer: always ready.
func (s *A4Sim) Status() queue.DeviceStatus {
	return queue.DeviceStatus{Name: A4Name, Kind: A4Name, Status: "ok",
		Detail: fmt.Sprintf("Máy in A4 giả lập: đã nhận %d lệnh in", len(s.Jobs()))}
}
