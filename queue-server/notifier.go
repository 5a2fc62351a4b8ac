package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/notify"
	"xephang/queue-server/queue"
)

// notifier runs the outbox's dispatcher beside the engine: the engine
// wakes it after each commit that wrote messages (Committed), it polls
// each second otherwise.
type notifier struct {
	disp    atomic.Pointer[notify.Dispatcher]
	cfg     notify.Config
	senders map[string]notify.Sender
	stop    context.CancelFunc
	done    chan struct{}

	mu     sync.Mutex
	phones map[string]phoneOrder // centre → its gateways of phone messages, read from the engine
}

type phoneOrder struct {
	gateways []string
	at       time.Time
}

// loadNotifier reads the gateways' configuration (none: webhooks only; a
// citizen's phone, e-mail and push messages then fail with "no gateway")
// and builds the senders.
func loadNotifier(path, dataDir string, m *Main) (*notifier, error) {
	n := &notifier{phones: map[string]phoneOrder{}}
	if path != "" {
		cfg, err := notify.LoadConfig(path)
		if err != nil {
			return nil, fmt.Errorf("-notify-config: %w", err)
		}
		n.cfg = cfg
	}
	n.cfg.Log = m.Log
	senders, err := notify.NewSenders(n.cfg, dataDir)
	if err != nil {
		return nil, fmt.Errorf("-notify-config: %w", err)
	}
	n.senders = senders
	return n, nil
}

// committed wakes the dispatcher after a commit that wrote messages.
func (n *notifier) committed(ch *queue.Changes) {
	if len(ch.Outbox) == 0 {
		return
	}
	if d := n.disp.Load(); d != nil {
		d.Wake()
	}
}

// pushKey is the VAPID public key browsers subscribe with ("" when Web
// Push is not configured).
func (n *notifier) pushKey() string {
	if p, ok := n.senders[notify.GatewayPush].(*notify.Push); ok {
		return p.PublicKey()
	}
	return ""
}

// allowPrivateWebhooks reports whether webhooks may post to private
// addresses (the configuration's webhook.allow_private).
func (n *notifier) allowPrivateWebhooks() bool {
	return n.cfg.Webhook != nil && n.cfg.Webhook.AllowPrivate
}

// start runs the dispatcher on the store's outbox until close.
func (n *notifier) start(st queue.Store, e *engine.Engine, metrics *httpapi.Metrics, m *Main) error {
	ob, ok := st.(queue.Outbox)
	if !ok {
		return fmt.Errorf("the store has no outbox")
	}
	d := notify.NewDispatcher(notify.DispatcherConfig{
		Outbox: ob, Senders: n.senders, PublicURL: n.cfg.PublicURL, Rates: n.cfg.Rates, Workers: n.cfg.Workers,
		PhoneGateways: func(centre string) []string { return n.phoneGateways(e, centre) },
		Observe:       metrics.ObserveDelivery, Log: m.Log,
	})
	ctx, cancel := context.WithCancel(context.Background())
	n.stop, n.done = cancel, make(chan struct{})
	n.disp.Store(d)
	go func() {
		defer close(n.done)
		d.Run(ctx)
	}()
	d.Wake() // what a previous run left pending
	return nil
}

// close stops the dispatcher: sends in flight end, messages claimed and
// not tried are saved as they were (sent at the next start).
func (n *notifier) close() {
	if n == nil || n.stop == nil {
		return
	}
	n.stop()
	<-n.done
}

// phoneGatewaysTTL is how long a centre's rules.phone_channels is kept
// between reads from the engine.
const phoneGatewaysTTL = 30 * time.Second

func (n *notifier) phoneGateways(e *engine.Engine, centre string) []string {
	n.mu.Lock()
	p, ok := n.phones[centre]
	n.mu.Unlock()
	if ok && time.Since(p.at) < phoneGatewaysTTL {
		return p.gateways
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := e.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(centre)
		if err != nil {
			return nil, err
		}
		return l.Config().Rules.PhoneChannels, nil
	})
	if err != nil {
		return p.gateways // the last known, or nil: the default order
	}
	gws, _ := v.([]string)
	n.mu.Lock()
	n.phones[centre] = phoneOrder{gateways: gws, at: time.Now()}
	n.mu.Unlock()
	return gws
}
