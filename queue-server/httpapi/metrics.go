package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"xephang/queue-server/queue"
)

// Metrics are the Prometheus metrics of queue-server.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.HistogramVec
	tickets     *prometheus.CounterVec
	waits       *prometheus.HistogramVec
	commits     prometheus.Histogram
	commitSize  prometheus.Histogram
	commitFails prometheus.Counter
	subscribers prometheus.Gauge
	clientGone  prometheus.Counter
	storeOK     prometheus.Gauge
	diskFree    prometheus.Gauge
	deliveries  *prometheus.HistogramVec
}

// NewMetrics registers the metrics (and the Go runtime's) on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xephang_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "code"}),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xephang_tickets_total", Help: "Ticket events by centre, service and type (issued, called, finished, no_show, …).",
		}, []string{"centre", "service", "event"}),
		waits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xephang_wait_seconds", Help: "Real waits from issue (or slot start) to first call.",
			Buckets: []float64{60, 300, 600, 900, 1800, 2700, 3600, 5400, 7200},
		}, []string{"centre", "service"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "xephang_store_commit_seconds", Help: "Durable commit latency (fsync included).",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "xephang_store_commit_requests", Help: "Write requests sharing one commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		commitFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "xephang_store_commit_failures_total", Help: "Failed commits."}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "xephang_event_subscribers", Help: "Open event-stream WebSockets."}),
		clientGone: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xephang_http_client_gone_total", Help: "Requests whose client went away before the answer (logged at debug, not an error).",
		}),
		storeOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "xephang_store_file_ok",
			Help: "1 while the store's file is the one the server opened; 0 once it was deleted or replaced (writes refused)."}),
		diskFree: prometheus.NewGauge(prometheus.GaugeOpts{Name: "xephang_store_disk_free_bytes", Help: "Free bytes in the store's file system."}),
		deliveries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xephang_notify_attempt_seconds", Help: "Delivery attempts of the outbox by gateway (zns, sms, push, email, webhook) and outcome (sent, failed, permanent, gave_up).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"gateway", "status"}),
	}
	m.storeOK.Set(1)
	m.reg.MustRegister(m.requests, m.tickets, m.waits, m.commits, m.commitSize, m.commitFails, m.subscribers, m.clientGone, m.storeOK, m.diskFree, m.deliveries,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// ObserveStore records whether the store's file is still the open one and
// the free space beside it.
func (m *Metrics) ObserveStore(fileOK bool, free uint64) {
	if fileOK {
		m.storeOK.Set(1)
	} else {
		m.storeOK.Set(0)
	}
	m.diskFree.Set(float64(free))
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to the WebSocket upgrader.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.code = http.StatusSwitchingProtocols
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (m *Metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

// ObserveDelivery records one delivery attempt of the outbox (the
// dispatcher's Observe hook).
func (m *Metrics) ObserveDelivery(gateway, status string, d time.Duration) {
	m.deliveries.WithLabelValues(gateway, status).Observe(d.Seconds())
}

// ObserveCommit records one commit of the engine.
func (m *Metrics) ObserveCommit(requests int, d time.Duration, err error) {
	if err != nil {
		m.commitFails.Inc()
		return
	}
	m.commits.Observe(d.Seconds())
	m.commitSize.Observe(float64(requests))
}

// ObserveChanges counts the ticket events of committed changes and the
// waits of first calls.
func (m *Metrics) ObserveChanges(ch *queue.Changes) {
	for _, e := range ch.Events {
		if e.Ticket != nil {
			m.tickets.WithLabelValues(ch.Centre, e.Ticket.Service, e.Type).Inc()
		}
	}
	for _, t := range ch.Tickets {
		if t.Status == queue.StatusCalled && t.Calls == 1 && t.CalledAt != nil && t.FirstCalledAt != nil && t.CalledAt.Equal(*t.FirstCalledAt) {
			m.waits.WithLabelValues(ch.Centre, t.Service).Observe(t.FirstCalledAt.Sub(t.OrderAt).Seconds())
		}
	}
}
