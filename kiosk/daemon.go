package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // centres' time zones without the system's tzdata

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/scanner"
	"xephang/kiosk/devices"
	"xephang/kiosk/digitise"
	"xephang/kiosk/flow"
	"xephang/kiosk/formfill"
	"xephang/kiosk/localapi"
	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/forms"
	"xephang/queue-server/procedures"
	"xephang/queue-server/queue"
	"xephang/systemd"
	"xephang/ui"
)

// Config is kioskd's configuration. Sources, later ones winning: defaults,
// the config file (KEY=VALUE lines, the environment's names; -config or
// XEPHANG_KIOSK_CONFIG), the environment, the flags.
type Config struct {
	Server    string // queue server URL; the enrolled one when empty
	Addr      string // local UI/API address; loopback only
	DataDir   string
	Simulate  bool
	SimBaud   int
	Printer   string // port spec of the ticket printer, or sim
	Profile   string // escpos profile
	Reader    string // port spec of the card/QR reader, or sim
	Scanner   string // sane[:DEV], escl:URL, folder:DIR, or sim
	A4Printer string // A4 printer for forms: ipp://HOST[:PORT]/PATH, ipps://…, or sim
	A4CA      string // PEM file trusted for an ipps:// A4 printer (its self-signed certificate)
	// ChipReader is the CCCD chip reader (PC/SC): a reader's name (or a
	// part of it), auto (the first reader), or sim; "" or off for none
	// (-simulate: sim). CSCA is the directory of the issuers' CSCA
	// certificates (.pem, .crt, .cer, .der, master lists .ml); ChipWait
	// how long a flow waits for the card on the chip reader.
	ChipReader string
	CSCA       string
	ChipWait   time.Duration
	ElderlyAge int
	Idle       time.Duration
	Result     time.Duration
	PublicURL  string
	BlockSize  int
	Blocks     int
	Heartbeat  time.Duration
	LogLevel   slog.Level
	// Pre-check: OCR workers (0 turns the pre-check off), the scanner's
	// source (adf or flatbed), procedure → service code overrides.
	PrecheckWorkers  int
	ScanSource       string
	PrecheckServices map[string]string
	// Evening is the local time of day from which tomorrow's number
	// blocks are leased too.
	Evening time.Duration
	// BrowserRestart is the command run when the touchscreen page stopped
	// pinging for BrowserTimeout ("" disables the browser watchdog).
	BrowserRestart string
	BrowserTimeout time.Duration
}

// DefaultBrowserRestart restarts the kiosk browser (systemd/kiosk-browser.service;
// a polkit rule lets kioskd's user run it).
const DefaultBrowserRestart = "systemctl restart kiosk-browser.service"

// env names of each setting (also the config file's keys).
var envNames = map[string]string{
	"server": "XEPHANG_SERVER", "addr": "XEPHANG_KIOSK_ADDR", "data": "XEPHANG_KIOSK_DATA",
	"simulate": "XEPHANG_KIOSK_SIMULATE", "sim-baud": "XEPHANG_KIOSK_SIM_BAUD",
	"printer": "XEPHANG_KIOSK_PRINTER", "profile": "XEPHANG_KIOSK_PROFILE", "reader": "XEPHANG_KIOSK_READER",
	"scanner": "XEPHANG_KIOSK_SCANNER", "a4-printer": "XEPHANG_KIOSK_A4_PRINTER", "a4-printer-ca": "XEPHANG_KIOSK_A4_PRINTER_CA", "elderly-age": "XEPHANG_KIOSK_ELDERLY_AGE", "idle": "XEPHANG_KIOSK_IDLE",
	"result": "XEPHANG_KIOSK_RESULT", "public-url": "XEPHANG_PUBLIC_URL", "block-size": "XEPHANG_KIOSK_BLOCK_SIZE",
	"blocks": "XEPHANG_KIOSK_BLOCKS", "heartbeat": "XEPHANG_KIOSK_HEARTBEAT", "log-level": "XEPHANG_LOG_LEVEL",
	"precheck-workers": "XEPHANG_KIOSK_PRECHECK_WORKERS", "scan-source": "XEPHANG_KIOSK_SCAN_SOURCE",
	"precheck-services": "XEPHANG_KIOSK_PRECHECK_SERVICES", "evening": "XEPHANG_KIOSK_EVENING",
	"browser-restart": "XEPHANG_BROWSER_RESTART", "browser-timeout": "XEPHANG_BROWSER_TIMEOUT",
	"chip-reader": "XEPHANG_KIOSK_CHIP_READER", "csca": "XEPHANG_KIOSK_CSCA", "chip-wait": "XEPHANG_KIOSK_CHIP_WAIT",
}

// readConfigFile reads KEY=VALUE lines (# comments, optional quotes), the
// format of systemd's EnvironmentFile.
func readConfigFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE", path, n)
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, sc.Err()
}

// ParseConfig reads the configuration from args, the environment and the
// config file.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	file := map[string]string{}
	path := getenv("XEPHANG_KIOSK_CONFIG")
	for i, a := range args { // -config is needed before the flags are parsed
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "config="); ok {
			path = v
		} else if strings.TrimLeft(a, "-") == "config" && i+1 < len(args) {
			path = args[i+1]
		}
	}
	if path != "" {
		var err error
		if file, err = readConfigFile(path); err != nil {
			return Config{}, fmt.Errorf("config file: %w", err)
		}
	}
	get := func(flagName, def string) string {
		if v := getenv(envNames[flagName]); v != "" {
			return v
		}
		if v, ok := file[envNames[flagName]]; ok {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg Config
	fs.String("config", path, "config file of KEY=VALUE lines (XEPHANG_KIOSK_CONFIG)")
	fs.StringVar(&cfg.Server, "server", get("server", ""), "queue server URL (XEPHANG_SERVER); the enrolled one when empty")
	fs.StringVar(&cfg.Addr, "addr", get("addr", "127.0.0.1:8090"), "touchscreen address, loopback only (XEPHANG_KIOSK_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", get("data", "./kiosk-data"), "data directory (XEPHANG_KIOSK_DATA)")
	fs.BoolVar(&cfg.Simulate, "simulate", get("simulate", "") == "1" || get("simulate", "") == "true", "simulate every device, as -printer sim -reader sim -scanner sim, with the demo panel (XEPHANG_KIOSK_SIMULATE=1)")
	fs.StringVar(&cfg.Printer, "printer", get("printer", ""), "ticket printer: serial:/dev/xephang-printer?baud=115200, tcp:HOST:9100, usblp:/dev/usb/lp0, or sim")
	fs.StringVar(&cfg.Profile, "profile", get("profile", "raster-80"), "printer profile (kioskd printer test -list)")
	fs.StringVar(&cfg.Reader, "reader", get("reader", ""), "card/QR reader: serial:/dev/xephang-idreader, or sim")
	fs.StringVar(&cfg.Scanner, "scanner", get("scanner", ""), "document scanner: sane[:DEVICE], escl:URL, folder:DIR, or sim")
	fs.StringVar(&cfg.A4Printer, "a4-printer", get("a4-printer", ""), "A4 printer for forms over IPP: ipp://HOST[:PORT]/PATH (e.g. ipp://192.168.1.20/ipp/print), ipps://…, or sim; with -simulate and none, a simulated one (XEPHANG_KIOSK_A4_PRINTER)")
	fs.StringVar(&cfg.A4CA, "a4-printer-ca", get("a4-printer-ca", ""), "PEM file of the certificate (or CA) an ipps:// A4 printer is trusted with, beside the system's (XEPHANG_KIOSK_A4_PRINTER_CA)")
	fs.StringVar(&cfg.ChipReader, "chip-reader", get("chip-reader", ""), "CCCD chip reader (PC/SC): its name or a part of it, auto for the first reader, sim, or off; none when empty, sim with -simulate (XEPHANG_KIOSK_CHIP_READER)")
	fs.StringVar(&cfg.CSCA, "csca", get("csca", "/etc/xephang/csca"), "directory of the CSCA certificates chips are checked against (.pem .crt .cer .der, master lists .ml); without it a chip's issuer is not checked (XEPHANG_KIOSK_CSCA)")
	fs.StringVar(&cfg.PublicURL, "public-url", get("public-url", ""), "public server URL printed in the tracking QR (XEPHANG_PUBLIC_URL)")
	fs.StringVar(&cfg.ScanSource, "scan-source", get("scan-source", "adf"), "scanner source for the pre-check: adf or flatbed (XEPHANG_KIOSK_SCAN_SOURCE)")
	services := get("precheck-services", "")
	fs.StringVar(&services, "precheck-services", services, "procedure=SERVICE,… whose number a pre-checked citizen takes (XEPHANG_KIOSK_PRECHECK_SERVICES); else by the service's name")
	evening := get("evening", "18:00")
	fs.StringVar(&evening, "evening", evening, "local time from which tomorrow's number blocks are leased too (XEPHANG_KIOSK_EVENING)")
	browserDef := DefaultBrowserRestart
	if get("simulate", "") == "1" || get("simulate", "") == "true" || slices.Contains(args, "-simulate") || slices.Contains(args, "--simulate") {
		browserDef = "" // a demo does not restart anybody's browser
	}
	fs.StringVar(&cfg.BrowserRestart, "browser-restart", get("browser-restart", browserDef), "command run when the touchscreen stops pinging; empty or off disables (XEPHANG_BROWSER_RESTART)")
	ints := []struct {
		p    *int
		name string
		def  string
		use  string
	}{
		{&cfg.SimBaud, "sim-baud", "115200", "line speed of the simulated printer"},
		{&cfg.ElderlyAge, "elderly-age", "75", "age from which a card read offers elderly priority"},
		{&cfg.BlockSize, "block-size", "20", "numbers per leased block (1–200)"},
		{&cfg.Blocks, "blocks", "2", "blocks with numbers left to keep per service"},
		{&cfg.PrecheckWorkers, "precheck-workers", "2", "OCR workers of the dossier pre-check; 0 turns it off"},
	}
	for _, v := range ints {
		n, err := strconv.Atoi(get(v.name, v.def))
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", envNames[v.name], err)
		}
		fs.IntVar(v.p, v.name, n, v.use+" ("+envNames[v.name]+")")
	}
	durs := []struct {
		p    *time.Duration
		name string
		def  string
		use  string
	}{
		{&cfg.Idle, "idle", "60s", "back home after this long without a touch"},
		{&cfg.Result, "result", "20s", "how long a printed number or an error stays on screen"},
		{&cfg.Heartbeat, "heartbeat", "5s", "heartbeat period"},
		{&cfg.BrowserTimeout, "browser-timeout", "30s", "restart the browser when the page has not pinged for this long"},
		{&cfg.ChipWait, "chip-wait", "4s", "after a card's code is read, how long to wait for the card on the chip reader"},
	}
	for _, v := range durs {
		d, err := time.ParseDuration(get(v.name, v.def))
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", envNames[v.name], err)
		}
		fs.DurationVar(v.p, v.name, d, v.use+" ("+envNames[v.name]+")")
	}
	level := get("log-level", "info")
	fs.StringVar(&level, "log-level", level, "debug, info, warn or error (XEPHANG_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if v := strings.TrimSpace(cfg.BrowserRestart); v == "off" || v == "none" {
		cfg.BrowserRestart = ""
	}
	if cfg.ScanSource != "adf" && cfg.ScanSource != "flatbed" {
		return cfg, fmt.Errorf("-scan-source %q: adf or flatbed", cfg.ScanSource)
	}
	if cfg.PrecheckWorkers < 0 || cfg.PrecheckWorkers > 8 {
		return cfg, fmt.Errorf("-precheck-workers %d: want 0–8", cfg.PrecheckWorkers)
	}
	if services != "" {
		cfg.PrecheckServices = map[string]string{}
		for _, kv := range strings.Split(services, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" || v == "" {
				return cfg, fmt.Errorf("-precheck-services %q: want procedure=SERVICE,…", services)
			}
			cfg.PrecheckServices[k] = strings.ToUpper(v)
		}
	}
	ev, err := time.Parse("15:04", evening)
	if err != nil {
		return cfg, fmt.Errorf("-evening %q: want HH:MM", evening)
	}
	cfg.Evening = time.Duration(ev.Hour())*time.Hour + time.Duration(ev.Minute())*time.Minute
	if v := strings.TrimSpace(cfg.ChipReader); v == "off" || v == "none" {
		cfg.ChipReader = "off"
	}
	if cfg.ChipWait < 0 || cfg.ChipWait > time.Minute {
		return cfg, fmt.Errorf("-chip-wait %v: want 0–1m", cfg.ChipWait)
	}
	if cfg.BrowserTimeout < time.Second {
		return cfg, fmt.Errorf("-browser-timeout %v: at least 1s (and well above the page's 5 s pings)", cfg.BrowserTimeout)
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return cfg, fmt.Errorf("log level: %w", err)
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || (host != "localhost" && !localapi.Loopback(cfg.Addr)) {
		return cfg, fmt.Errorf("-addr %q: the touchscreen API listens on loopback only (127.0.0.1:PORT)", cfg.Addr)
	}
	if cfg.ElderlyAge < 50 || cfg.ElderlyAge > 120 {
		return cfg, fmt.Errorf("-elderly-age %d: want 50–120", cfg.ElderlyAge)
	}
	if cfg.BlockSize < 1 || cfg.BlockSize > queue.MaxBlockSize || cfg.Blocks < 1 || cfg.Blocks > 10 {
		return cfg, fmt.Errorf("-block-size 1–%d and -blocks 1–10", queue.MaxBlockSize)
	}
	if _, err := escpos.ProfileByName(cfg.Profile); err != nil {
		return cfg, err
	}
	if err := devices.CheckA4URL(cfg.A4Printer); err != nil {
		return cfg, fmt.Errorf("-a4-printer: %w", err)
	}
	return cfg, nil
}

// version is kioskd's version: the VCS revision it was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}

// Main is the running daemon.
type Main struct {
	Config  Config
	Log     *slog.Logger
	Cred    Credential
	Store   *outbox.Store
	Devices *devices.Devices
	Link    *uplink.Link
	Kiosk   *flow.Kiosk
	Hub     *localapi.Hub
	// Checker is the dossier pre-check's OCR (one per daemon), nil when
	// turned off or Tesseract is missing.
	Checker *precheck.Checker
	// Scanner, when set before Run, replaces the configured (or simulated)
	// scanner; tests feed it generated dossiers.
	Scanner scanner.Scanner
	// TLS is the kiosk's mutual-TLS identity when enrolled with a
	// certificate; nil with a bearer credential.
	TLS *Identity

	client         *apiv1.Client
	lastPing       atomic.Int64 // unix nanoseconds of the page's last ping; 0 before the first
	browserRestart atomic.Int64 // restarts of the browser so far

	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMain returns a daemon with the configuration.
func NewMain(cfg Config, log *slog.Logger) *Main { return &Main{Config: cfg, Log: log} }

// Addr is the address the touchscreen server listens on (after Run).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Run starts everything and returns; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	cred, err := LoadCredential(m.Config.DataDir)
	if err != nil {
		return err
	}
	m.Cred = cred
	server := cred.Server
	if m.Config.Server != "" {
		server = strings.TrimRight(m.Config.Server, "/")
	}
	if m.Store, err = outbox.Open(filepath.Join(m.Config.DataDir, "kiosk.db")); err != nil {
		return err
	}
	if n, err := m.Store.Prune(time.Now().Add(-7 * 24 * time.Hour)); err != nil {
		m.Log.Error("outbox: pruning delivered tickets", "err", err)
	} else if n > 0 {
		m.Log.Info("pruned delivered outbox tickets", "n", n)
	}
	m.Devices, err = devices.Open(devices.Config{
		Printer: m.Config.Printer, Profile: m.Config.Profile, Reader: m.Config.Reader, Scanner: m.Config.Scanner, A4Printer: m.Config.A4Printer, A4CA: m.Config.A4CA,
		ChipReader: m.Config.ChipReader,
		Simulate:   m.Config.Simulate, SimDir: filepath.Join(m.Config.DataDir, "sim"), SimBaud: m.Config.SimBaud, Log: m.Log,
	})
	if err != nil {
		m.Store.Close()
		return err
	}
	if n, err := m.Store.Recover(); err != nil {
		m.Log.Error("outbox: withdrawing the online tickets found printing", "err", err)
	} else if n > 0 {
		m.Log.Warn("kioskd stopped while printing online tickets; they will be withdrawn on the server", "n", n)
	}
	m.Hub = localapi.NewHub()
	client := apiv1.NewClient(server)
	client.Token = cred.Credential
	if cred.MTLS {
		if m.TLS, err = LoadIdentity(m.Config.DataDir); err != nil {
			m.Devices.Close()
			m.Store.Close()
			return err
		}
		client.Token = ""
		client.HTTP = m.TLS.HTTPClient(15 * time.Second)
	}
	m.client = client
	m.Link = uplink.New(uplink.Config{
		Client: client, Store: m.Store, Centre: cred.Centre, Version: version(), Log: m.Log,
		BlockSize: m.Config.BlockSize, BlocksAhead: m.Config.Blocks, Heartbeat: m.Config.Heartbeat,
		Devices:     m.Devices.Status,
		OnChange:    func(s uplink.Status) { m.Hub.Publish(flow.Event{Type: "link", Link: &s}) },
		OnCentre:    func(queue.Centre) { m.Hub.Publish(flow.Event{Type: "config"}) },
		EveningFrom: m.Config.Evening,
	})
	if m.TLS != nil && m.TLS.Expired(time.Now()) {
		m.Link.SetSuspended(uplink.SuspendedExpired)
	}
	sc := m.Devices.Scanner
	if m.Scanner != nil {
		sc = m.Scanner
	}
	if sc != nil && m.Config.PrecheckWorkers > 0 {
		if !precheck.SingleThreaded() {
			m.Log.Warn("OMP_THREAD_LIMIT is not 1: the dossier pre-check's OCR will be several times slower (set it in kioskd's unit)")
		}
		if m.Checker, err = precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: m.Config.PrecheckWorkers}}); err != nil {
			m.Log.Error("dossier pre-check off: the OCR did not start (tesseract-ocr-vie installed?)", "err", err)
			m.Checker = nil
		}
	}
	var printer flow.Printer = noPrinter{}
	if m.Devices.Printer != nil {
		printer = m.Devices.Printer
	}
	fc := flow.Config{
		Centre: cred.Centre, Client: client, Link: m.Link, Store: m.Store, Printer: printer, Log: m.Log,
		ElderlyAge: m.Config.ElderlyAge, PublicURL: m.Config.PublicURL,
		Timeouts: flow.Timeouts{Idle: m.Config.Idle, Result: m.Config.Result}, Emit: m.Hub.Publish,
		Scanner: sc, ScanDir: filepath.Join(m.Config.DataDir, "scans"), ScanSource: scanner.Source(m.Config.ScanSource),
		PrecheckServices: m.Config.PrecheckServices,
		Dossiers:         uplink.ClientDossiers{Client: client},
		Identities:       uplink.ClientIdentities{Client: client},
		Forms:            forms.Default(),
		Guide:            flow.CatalogueGuide(procedures.Default()),
		CardPerson:       formfill.Person,
		Digitise:         digitiseDocuments,
	}
	if m.Checker != nil {
		fc.Prechecker = m.Checker
	}
	if m.Devices.Chip != nil {
		cscas := m.Devices.Sim.ChipCSCAs() // the simulator's own issuer
		if cscas == nil {
			cscas = loadCSCAs(m.Config.CSCA, m.Log)
		}
		fc.Chip = chipFlow{reader: m.Devices.Chip, cscas: cscas, wait: m.Config.ChipWait}
		m.Log.Info("chip reader", "reader", m.Devices.Chip.String(), "issuers_checked", cscas != nil)
	}
	if m.Devices.A4 != nil {
		fc.A4 = m.Devices.A4
	}
	if err := os.MkdirAll(fc.ScanDir, 0o700); err != nil {
		m.closeStarted()
		return err
	}
	m.Kiosk = flow.New(fc)
	var demo localapi.Demo
	if m.Config.Simulate {
		demo = m.Devices.Sim
	}
	api := localapi.New(localapi.Config{
		Kiosk: m.Kiosk, Hub: m.Hub, Devices: m.Devices.Status, Link: m.Link.Status, Log: m.Log, UI: ui.KioskHandler(), Demo: demo,
		Centre: func() (string, string, string) {
			c, _ := m.Link.Centre()
			tz := c.Timezone
			if tz == "" { // not fetched yet: the zone of every centre in Việt Nam
				tz = queue.DefaultTimezone
			}
			return cred.Centre, c.Name, tz
		},
		Ping: func() { m.lastPing.Store(time.Now().UnixNano()) },
		Addr: m.Config.Addr,
	})
	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		m.closeStarted()
		return fmt.Errorf("listen %s: %w", m.Config.Addr, err)
	}
	m.srv = &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	m.goLoop(func() { m.Link.Run(ctx) })
	m.goLoop(func() {
		m.Devices.RunStatus(ctx, func(st escpos.Status) {
			m.Hub.Publish(flow.Event{Type: "printer", Printer: &st, Reason: st.Reason()})
			m.Hub.Publish(flow.Event{Type: "devices", Devices: m.Devices.Status()})
		})
	})
	m.goLoop(func() {
		m.Devices.RunA4Status(ctx, 0, func(queue.DeviceStatus) {
			m.Hub.Publish(flow.Event{Type: "devices", Devices: m.Devices.Status()})
		})
	})
	m.goLoop(func() {
		m.Devices.RunReader(ctx, func(ev idcard.Event) { m.Kiosk.Card(ctx, ev) }, func(code string) { m.Kiosk.Code(ctx, code) })
	})
	m.goLoop(func() { m.watchBrowser(ctx) })
	if m.Devices.Chip != nil {
		m.goLoop(func() { m.watchChip(ctx, m.Devices.Chip) })
	}
	if m.TLS != nil {
		m.goLoop(func() { m.renewLoop(ctx) })
	}
	m.goLoop(func() {
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("serve", "err", err)
		}
	})
	m.Log.Info("kioskd listening", "addr", m.Addr(), "server", server, "kiosk", cred.Kiosk, "centre", cred.Centre,
		"simulate", m.Config.Simulate, "version", version())
	return nil
}

func (m *Main) goLoop(f func()) {
	m.wg.Add(1)
	go func() { defer m.wg.Done(); f() }()
}

// Healthy reports whether the device loops run (for the watchdog).
func (m *Main) Healthy() bool { return m.Devices != nil && m.Devices.Healthy() }

// Close stops serving (a ticket being printed finishes first), the loops,
// the devices and the store.
func (m *Main) Close() error {
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		m.srv.Shutdown(ctx)
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.Devices != nil {
		m.Devices.Close() // unblocks the reader loop
	}
	m.wg.Wait()
	if m.Checker != nil {
		m.Checker.Close()
	}
	if m.Store != nil {
		return m.Store.Close()
	}
	return nil
}

// closeStarted undoes a Run that failed part way.
func (m *Main) closeStarted() {
	if m.Checker != nil {
		m.Checker.Close()
	}
	m.Devices.Close()
	m.Store.Close()
}

// BrowserRestarts is how many times the browser watchdog restarted the browser.
func (m *Main) BrowserRestarts() int { return int(m.browserRestart.Load()) }

// watchBrowser runs the restart command when the touchscreen page, which
// pings every 5 s, has been silent for BrowserTimeout: a hung renderer or
// a crash page never pings. It arms at the first ping (a browser that does
// not start at all is its unit's Restart= business) and, after a restart,
// gives the browser another whole timeout to come back.
func (m *Main) watchBrowser(ctx context.Context) {
	cmd := strings.Fields(m.Config.BrowserRestart)
	if len(cmd) == 0 {
		return
	}
	every := max(m.Config.BrowserTimeout/5, 200*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		last := m.lastPing.Load()
		if last == 0 || time.Since(time.Unix(0, last)) < m.Config.BrowserTimeout {
			continue
		}
		m.Log.Warn("the touchscreen page stopped pinging; restarting the browser", "silent", time.Since(time.Unix(0, last)).Round(time.Second), "command", m.Config.BrowserRestart)
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := exec.CommandContext(c, cmd[0], cmd[1:]...).CombinedOutput()
		cancel()
		m.browserRestart.Add(1)
		if err != nil {
			m.Log.Error("browser restart failed", "err", err, "output", strings.TrimSpace(string(out)))
		}
		m.lastPing.Store(time.Now().UnixNano())
	}
}

// noPrinter stands in when no printer is configured: it refuses, saying so.
type noPrinter struct{}

func (noPrinter) Status(context.Context) (escpos.Status, error) {
	return escpos.Status{NoReply: true}, escpos.ErrNoReply
}
func (noPrinter) PrintTicket(context.Context, escpos.Ticket) error {
	return &escpos.StatusError{Status: escpos.Status{NoReply: true}}
}

// runDaemon runs kioskd until ctx is done: sd_notify READY once serving,
// watchdog pings while the device loops are healthy, STOPPING on the way out.
func runDaemon(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := ParseConfig(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "kioskd:", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	m := NewMain(cfg, log)
	if err := m.Run(ctx); err != nil {
		log.Error("start", "err", err)
		return exitProblem
	}
	systemd.Ready()
	go systemd.Watchdog(ctx, log, func(context.Context) error {
		if !m.Healthy() {
			return errors.New("device loops not healthy")
		}
		return nil
	})
	<-ctx.Done()
	log.Info("shutting down")
	systemd.Stopping()
	if err := m.Close(); err != nil {
		log.Error("close", "err", err)
		return exitProblem
	}
	return exitOK
}

// digitiseDocuments makes the searchable documents of a pre-checked
// dossier, as the outbox keeps them with the ticket.
func digitiseDocuments(res *precheck.Result, pages []precheck.PageText) ([]outbox.Document, error) {
	docs, err := digitise.Documents(res, pages)
	if err != nil {
		return nil, err
	}
	out := make([]outbox.Document, 0, len(docs))
	for _, d := range docs {
		out = append(out, outbox.Document{Name: d.Name, Kind: d.Kind, Pages: d.Pages, Status: d.Status,
			Reasons: d.Reasons, Fields: d.Fields, PDF: d.PDF})
	}
	return out, nil
}
