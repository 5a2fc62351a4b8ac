// Command queue-server is Xếp Hàng's central queue server: walk-in tickets,
// counters, displays and the event stream, on an embedded bbolt store.
//
//	queue-server -addr 127.0.0.1:8080 -data ./data [-demo] [-init]
//	queue-server -database postgres://… [-report-database postgres://…]
//	queue-server check -data ./data
//	queue-server migrate-status -database postgres://…
//	queue-server copy -from ./data -to postgres://…
//
// Environment: XEPHANG_ADDR, XEPHANG_DATA, XEPHANG_ADMIN_PASSWORD,
// XEPHANG_DEMO=1, XEPHANG_LOG_LEVEL (debug, info, warn, error),
// XEPHANG_KIOSK_TLS_ADDR and XEPHANG_TLS_HOSTS (the kiosks' mutual-TLS listener),
// XEPHANG_TRUSTED_PROXIES (reverse proxies whose X-Forwarded-For is believed),
// XEPHANG_KEY_FILE (the key that hashes CCCD numbers, kept out of the store),
// XEPHANG_MIN_FREE_MB, XEPHANG_STREAMS_PER_ADDR, XEPHANG_DATABASE_URL (PostgreSQL
// instead of the embedded bbolt store), XEPHANG_REPORT_DATABASE_URL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // centres' time zones without the system's tzdata

	"xephang/queue-server/apiv1"
	"xephang/queue-server/ca"
	"xephang/queue-server/demo"
	"xephang/queue-server/engine"
	"xephang/queue-server/forecast"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
	"xephang/systemd"
	"xephang/ui"
)

// Config is queue-server's configuration.
type Config struct {
	Addr    string
	DataDir string
	Demo    bool
	// DemoHistory is how many past days of generated tickets the demo
	// centre gets (0: none), so that the admin's forecast has something to
	// learn from; `make run` asks for a year.
	DemoHistory   int
	AdminPassword string
	LogLevel      slog.Level
	// KioskAddr is the mutual-TLS listener for kiosks ("" for none): its
	// certificate, for TLSHosts, comes from the server's own CA.
	KioskAddr string
	TLSHosts  []string
	// TrustedProxies: the reverse proxies whose X-Forwarded-For names the
	// client for every per-address limit (none by default).
	TrustedProxies httpapi.TrustedProxies
	// KeyFile holds the key that hashes CCCD numbers, apart from the store
	// ("": citizen.key in DataDir); NewKey accepts a new one for a store
	// whose key file is lost (its bookings no longer match their numbers).
	KeyFile string
	NewKey  bool
	// Init creates a new empty store in a data directory that held one
	// whose file is gone; without it the server refuses to start there.
	Init bool
	// MinFree is the free space beside the store under which /readyz
	// answers not ready.
	MinFree uint64
	// StreamsPerAddr bounds the event streams open from one address.
	StreamsPerAddr int
	// Database is a PostgreSQL connection string: the store is then that
	// database, which several servers may share, instead of the bbolt
	// file in DataDir (which keeps the CA and, by default, the key file).
	Database string
	// ReportDatabase, when set, is where reports read from (a replica).
	ReportDatabase string
	// NotifyConfig is the notification gateways' configuration file
	// ("": none, webhooks only).
	NotifyConfig string
}

// ParseConfig reads flags, with the environment as defaults.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	cfg := Config{Addr: "127.0.0.1:8080", DataDir: "./data", MinFree: 256 << 20, StreamsPerAddr: httpapi.DefaultStreamsPerAddr}
	minFreeMB := int(cfg.MinFree >> 20)
	for _, v := range []struct {
		name string
		to   *int
	}{{"XEPHANG_MIN_FREE_MB", &minFreeMB}, {"XEPHANG_STREAMS_PER_ADDR", &cfg.StreamsPerAddr}} {
		if raw := getenv(v.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", v.name, err)
			}
			*v.to = n
		}
	}
	if v := getenv("XEPHANG_ADDR"); v != "" {
		cfg.Addr = v
	}
	if v := getenv("XEPHANG_DATA"); v != "" {
		cfg.DataDir = v
	}
	cfg.Demo = getenv("XEPHANG_DEMO") == "1"
	if v := getenv("XEPHANG_DEMO_HISTORY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cfg, fmt.Errorf("XEPHANG_DEMO_HISTORY: %w", err)
		}
		cfg.DemoHistory = n
	}
	cfg.KioskAddr = getenv("XEPHANG_KIOSK_TLS_ADDR")
	hosts := "localhost,127.0.0.1,::1"
	if v := getenv("XEPHANG_TLS_HOSTS"); v != "" {
		hosts = v
	}
	proxies := getenv("XEPHANG_TRUSTED_PROXIES")
	cfg.AdminPassword = getenv("XEPHANG_ADMIN_PASSWORD")
	cfg.KeyFile = getenv("XEPHANG_KEY_FILE")
	cfg.Database = getenv("XEPHANG_DATABASE_URL")
	cfg.ReportDatabase = getenv("XEPHANG_REPORT_DATABASE_URL")
	cfg.NotifyConfig = getenv("XEPHANG_NOTIFY_CONFIG")
	if v := getenv("XEPHANG_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return cfg, fmt.Errorf("XEPHANG_LOG_LEVEL: %w", err)
		}
	}
	fs := flag.NewFlagSet("queue-server", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (XEPHANG_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (XEPHANG_DATA)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "load the demo centre into an empty store (XEPHANG_DEMO=1)")
	fs.IntVar(&cfg.DemoHistory, "demo-history", cfg.DemoHistory, "with -demo: days of generated past tickets for the forecast to learn from, at most 730 (XEPHANG_DEMO_HISTORY); 0: none")
	fs.StringVar(&cfg.KioskAddr, "kiosk-addr", cfg.KioskAddr, "mutual-TLS listener for kiosks, e.g. :8443 (XEPHANG_KIOSK_TLS_ADDR); empty: none")
	fs.StringVar(&hosts, "tls-hosts", hosts, "names and addresses in the kiosk listener's certificate (XEPHANG_TLS_HOSTS)")
	fs.StringVar(&proxies, "trusted-proxies", proxies, "reverse proxies whose X-Forwarded-For is believed, CIDR list, e.g. 127.0.0.1/32,10.0.0.0/8 (XEPHANG_TRUSTED_PROXIES); empty: none")
	fs.StringVar(&cfg.KeyFile, "key-file", cfg.KeyFile, "file of the key that hashes CCCD numbers, mode 0600, made on first start (XEPHANG_KEY_FILE); default citizen.key in the data directory")
	fs.BoolVar(&cfg.NewKey, "new-key", false, "start with a new key when the key file is lost (bookings made until now no longer match their CCCD numbers)")
	fs.BoolVar(&cfg.Init, "init", false, "create a new empty store even where one was (its file lost): only on purpose")
	fs.IntVar(&minFreeMB, "min-free-mb", minFreeMB, "not ready when the store's disk has less free space, MiB (XEPHANG_MIN_FREE_MB)")
	fs.StringVar(&cfg.Database, "database", cfg.Database, "PostgreSQL connection string, postgres://user@host1,host2/db?target_session_attrs=read-write (XEPHANG_DATABASE_URL); empty: the bbolt store in the data directory")
	fs.StringVar(&cfg.ReportDatabase, "report-database", cfg.ReportDatabase, "PostgreSQL connection string reports read from, e.g. a standby (XEPHANG_REPORT_DATABASE_URL); empty: the main store")
	fs.StringVar(&cfg.NotifyConfig, "notify-config", cfg.NotifyConfig, "the notification gateways' configuration, a JSON file (XEPHANG_NOTIFY_CONFIG); empty: none, webhooks only")
	fs.IntVar(&cfg.StreamsPerAddr, "streams-per-addr", cfg.StreamsPerAddr, "event-stream WebSockets open at once from one address (XEPHANG_STREAMS_PER_ADDR)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if minFreeMB < 0 || cfg.StreamsPerAddr < 1 {
		return cfg, fmt.Errorf("-min-free-mb must be ≥ 0 and -streams-per-addr ≥ 1")
	}
	if cfg.DemoHistory < 0 || cfg.DemoHistory > 730 {
		return cfg, fmt.Errorf("-demo-history must be 0 to 730 days")
	}
	cfg.MinFree = uint64(minFreeMB) << 20
	var err error
	if cfg.TrustedProxies, err = httpapi.ParseTrustedProxies(proxies); err != nil {
		return cfg, fmt.Errorf("-trusted-proxies: %w", err)
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.TLSHosts = append(cfg.TLSHosts, h)
		}
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.ReportDatabase != "" && cfg.Database == "" {
		return cfg, fmt.Errorf("-report-database needs -database: reports of the bbolt store read the store itself")
	}
	return cfg, nil
}

// Main is the running program.
type Main struct {
	Config Config
	Log    *slog.Logger
	Store  serverStore
	Engine *engine.Engine
	Hub    *engine.Hub
	API    *httpapi.Server
	CA     *ca.Authority
	notify *notifier
	ln     net.Listener
	srv    *http.Server
	kln    net.Listener
	ksrv   *http.Server
	stop   context.CancelFunc
	// closers are closed after the engine, before the store (a report
	// replica's store).
	closers []interface{ Close() error }
}

// NewMain returns a program with the configuration.
func NewMain(cfg Config, log *slog.Logger) *Main { return &Main{Config: cfg, Log: log} }

// Addr is the address the server listens on (after Run).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// KioskAddr is the address of the kiosks' mutual-TLS listener, if any.
func (m *Main) KioskAddr() string {
	if m.kln == nil {
		return ""
	}
	return m.kln.Addr().String()
}

// serverStore is what the server needs of its store, bbolt or PostgreSQL.
type serverStore interface {
	queue.Store
	KeyID(name string) (string, error)
	SetKeyID(name, id string) error
}

// Run opens the store, starts the engine and serves until Close.
func (m *Main) Run(ctx context.Context) error {
	metrics := httpapi.NewMetrics()
	ready, reports, limits, err := m.openStore(ctx, metrics)
	if err != nil {
		return err
	}
	st := m.Store
	if m.notify, err = loadNotifier(m.Config.NotifyConfig, m.Config.DataDir, m); err != nil {
		m.Close()
		return err
	}
	m.Hub = engine.NewHub()
	m.Engine, err = engine.New(engine.Config{
		Store: st, Publisher: m.Hub, Log: m.Log,
		Observer: engine.Observer{Commit: metrics.ObserveCommit, Committed: func(ch *queue.Changes) {
			metrics.ObserveChanges(ch)
			m.notify.committed(ch)
		}},
	})
	if err == nil {
		err = m.notify.start(st, m.Engine, metrics, m)
	}
	if err != nil {
		m.Close()
		return err
	}
	secret, err := m.citizenKey(st)
	if err == nil {
		m.CA, err = ca.Open(filepath.Join(m.Config.DataDir, "ca"))
	}
	if err != nil {
		m.Close()
		return err
	}
	m.API = httpapi.New(httpapi.Config{Engine: m.Engine, Hub: m.Hub, Store: st, ReportStore: reports, Limits: limits, Log: m.Log, Metrics: metrics, UI: ui.Handler(), Secret: secret, CA: m.CA, TrustedProxies: m.Config.TrustedProxies,
		Ready: ready, StreamsPerAddr: m.Config.StreamsPerAddr, PushPublicKey: m.notify.pushKey, AllowPrivateWebhooks: m.notify.allowPrivateWebhooks()})
	if err := m.bootstrap(ctx); err != nil {
		m.Close()
		return err
	}
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		m.Close()
		return fmt.Errorf("listen %s: %w", m.Config.Addr, err)
	}
	m.srv = &http.Server{
		Handler:           m.API,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("serve", "err", err)
		}
	}()
	m.Log.Info("queue-server listening", "addr", m.Addr(), "data", m.Config.DataDir, "store", m.storeKind(), "trusted_proxies", len(m.Config.TrustedProxies))
	if m.Config.KioskAddr != "" {
		tlsCfg, err := m.CA.ServerTLS(m.Config.TLSHosts)
		if err == nil {
			m.kln, err = net.Listen("tcp", m.Config.KioskAddr)
		}
		if err != nil {
			m.Close()
			return fmt.Errorf("kiosk listener %s: %w", m.Config.KioskAddr, err)
		}
		// Only the kiosks' routes, and only to a verified kiosk certificate
		// (the handshake refuses a client without one).
		m.ksrv = &http.Server{Handler: m.API.KioskHandler(), TLSConfig: tlsCfg, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
			IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10, ErrorLog: m.srv.ErrorLog}
		go func() {
			if err := m.ksrv.ServeTLS(m.kln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.Log.Error("serve kiosks", "err", err)
			}
		}()
		m.Log.Info("kiosk mutual-TLS listener", "addr", m.KioskAddr(), "hosts", m.Config.TLSHosts, "ca_sha256", m.CA.Fingerprint())
	}
	return nil
}

// bootstrap sets the admin password from the environment and loads the demo.
func (m *Main) bootstrap(ctx context.Context) error {
	if pw := m.Config.AdminPassword; pw != "" {
		if _, err := m.API.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Name: "Quản trị", Password: pw}); err != nil {
			return fmt.Errorf("admin password from XEPHANG_ADMIN_PASSWORD: %w", err)
		}
	} else if _, err := m.Store.User("admin"); err != nil {
		m.Log.Warn("no admin account: set XEPHANG_ADMIN_PASSWORD and restart to create it")
	}
	if !m.Config.Demo {
		return nil
	}
	snaps, err := m.Store.LoadCentres()
	if err != nil || len(snaps) > 0 {
		return err
	}
	c, err := demo.Centre()
	if err != nil {
		return fmt.Errorf("demo centre: %w", err)
	}
	if _, err := m.Engine.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutCentre(c, "demo"); return nil, nil }); err != nil {
		return err
	}
	for _, u := range demo.Clerks {
		if _, err := m.API.PutUser(ctx, u, apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: c.ID, Name: "Cán bộ " + u[len(u)-1:], Password: demo.ClerkPassword}); err != nil {
			return err
		}
	}
	m.Log.Info("demo centre loaded", "centre", c.ID, "clerks", demo.Clerks, "clerk_password", demo.ClerkPassword)
	return m.seedDemoHistory(c)
}

// pastImporter is a store shared by several servers that takes past days'
// tickets outside its change log (pgstore.ImportPast).
type pastImporter interface {
	ImportPast(centre, before string, tickets []queue.Ticket) error
}

// seedDemoHistory writes Config.DemoHistory days of the demo centre's tickets
// (package demo) before today, closed on the public holidays of the
// forecast's calendar: into a store of one server a week per commit; into
// a store shared by several servers through ImportPast, since those
// servers learn changes from the change log, which past days' tickets do
// not belong in (they are not live state: every server reads them from
// the store when asked).
func (m *Main) seedDemoHistory(c queue.Centre) error {
	if m.Config.DemoHistory == 0 {
		return nil
	}
	_, shared := m.Store.(queue.SharedStore)
	imp, importer := m.Store.(pastImporter)
	if shared && !importer {
		return nil
	}
	cal := forecast.VietnamCalendar()
	holiday := func(day time.Time) bool { _, ok := cal.Holiday(day); return ok }
	now := time.Now().In(c.Location())
	days := demo.History(c, now, m.Config.DemoHistory, holiday)
	if shared {
		var past []queue.Ticket
		for _, ts := range days {
			past = append(past, ts...)
		}
		if err := imp.ImportPast(c.ID, now.Format(time.DateOnly), past); err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
		m.Log.Info("demo history imported", "centre", c.ID, "days", m.Config.DemoHistory, "tickets", len(past))
		return nil
	}
	n := 0
	for i := 0; i < len(days); i += 7 {
		ch := &queue.Changes{Centre: c.ID}
		for _, ts := range days[i:min(i+7, len(days))] {
			ch.Tickets = append(ch.Tickets, ts...)
		}
		if len(ch.Tickets) == 0 {
			continue
		}
		if err := m.Store.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
		n += len(ch.Tickets)
	}
	m.Log.Info("demo history generated", "centre", c.ID, "days", m.Config.DemoHistory, "tickets", n)
	return nil
}

// Close stops serving (letting requests in flight finish), then the engine
// and the store.
func (m *Main) Close() error {
	if m.stop != nil {
		m.stop()
	}
	for _, srv := range []*http.Server{m.srv, m.ksrv} {
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			srv.Shutdown(ctx)
			cancel()
		}
	}
	m.notify.close()
	if m.Engine != nil {
		m.Engine.Close()
	}
	for _, c := range m.closers {
		c.Close()
	}
	if m.Store != nil {
		return m.Store.Close()
	}
	return nil
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "check":
			os.Exit(runCheck(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
		case "migrate-status":
			os.Exit(runMigrateStatus(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
		case "copy":
			os.Exit(runCopy(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
		}
	}
	cfg, err := ParseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "queue-server:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(cfg, log)
	if err := m.Run(ctx); err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	systemd.Ready()
	go systemd.Watchdog(ctx, log, m.engineAnswers)
	<-ctx.Done()
	log.Info("shutting down")
	systemd.Stopping()
	if err := m.Close(); err != nil {
		log.Error("close", "err", err)
		os.Exit(1)
	}
}

// engineAnswers is the watchdog's check: a wedged engine gets the
// service restarted.
func (m *Main) engineAnswers(ctx context.Context) error {
	if _, err := m.Engine.Read(ctx, func(tx *engine.Tx) (any, error) { return nil, nil }); err != nil {
		return fmt.Errorf("engine not answering: %w", err)
	}
	return nil
}
