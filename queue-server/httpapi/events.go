package httpapi

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// WebSocket timing: a ping every pingEvery; a peer that has not answered
// (pong or anything) within pongWait is gone; a write that takes longer
// than writeWait means a dead or hopeless link.
const (
	pingEvery   = 20 * time.Second
	pongWait    = 45 * time.Second
	writeWait   = 10 * time.Second
	replayBatch = 500
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	// Displays and consoles may be served from another origin (a signage
	// player); the stream is public and read-only, so any origin may read it.
	CheckOrigin: func(r *http.Request) bool { return true },
}

// EventReplayTruncated is the first message of a stream asked for events
// before the current local day: only the day's events are replayed, and
// its seq is the one they follow (the client's new since). A client that
// keeps state from events reloads its snapshot.
const EventReplayTruncated = "replay.truncated"

// DefaultStreamsPerAddr is how many event streams one address may hold
// open at once. A centre behind one NAT holds about twenty (hall and
// counter displays, consoles, rating screens, kiosks) and its hall Wi-Fi
// adds citizens' tracking pages; what made fifty replays from one address
// a denial of service was the replay's size, now bounded to the day and
// sharing a few slots, so the count per address can be generous.
const DefaultStreamsPerAddr = 64

// streamLimit counts the event streams open per address, and bounds the
// replays running at once so that replays never take every core from the
// clerks' requests.
type streamLimit struct {
	max     int
	mu      sync.Mutex
	open    map[string]int
	replays chan struct{}
}

func newStreamLimit(perAddr int) *streamLimit {
	if perAddr <= 0 {
		perAddr = DefaultStreamsPerAddr
	}
	return &streamLimit{max: perAddr, open: map[string]int{}, replays: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
}

// acquire takes a stream slot for addr, or reports that it has none left.
func (l *streamLimit) acquire(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr] >= l.max {
		return false
	}
	l.open[addr]++
	return true
}

func (l *streamLimit) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

// streamAddr is the address event streams are counted by.
func streamAddr(r *http.Request) string { return clientIP(r) }

// handleEvents streams a centre's events: the stored events of the current
// local day after since first, then live ones, in sequence order with no
// gap and no repeat. A since before the day starts at the day's first
// event, announced by a replay.truncated message.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	centre := r.PathValue("centre")
	var since uint64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "since: a sequence number", "since: phải là số thứ tự sự kiện"))
			return
		}
		since = n
	}
	ctx, cancel := s.ctx(r)
	bounds, err := s.eng.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(centre)
		if err != nil {
			return nil, err
		}
		first := l.DaySeq()
		if l.Day() < tx.Now.In(l.Location()).Format(time.DateOnly) {
			first = l.LastSeq() // nothing yet today
		}
		return [2]uint64{first, l.LastSeq()}, nil
	})
	cancel()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	first, last := bounds.([2]uint64)[0], bounds.([2]uint64)[1]
	if since > last {
		since = last // a client ahead of the server (restored from backup): start at the end
	}
	truncated := since < first
	if truncated {
		since = first
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, queue.Errorf(queue.EBadRequest, "this is a WebSocket endpoint", "đây là điểm kết nối WebSocket"))
		return
	}
	addr := streamAddr(r)
	if !s.streams.acquire(addr) {
		w.Header().Set("Retry-After", "30")
		s.writeError(w, r, queue.Errorf(queue.ERateLimited, "too many event streams from this address (at most %d at once)",
			"quá nhiều luồng sự kiện từ địa chỉ này (tối đa %d luồng cùng lúc)", s.streams.max))
		return
	}
	defer s.streams.release(addr)
	// Subscribe before replaying, so nothing committed in between is missed;
	// what is both replayed and live is skipped by its seq.
	sub := s.hub.Subscribe(centre)
	defer sub.Close()
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	if s.metrics != nil {
		s.metrics.subscribers.Inc()
		defer s.metrics.subscribers.Dec()
	}
	conn.SetReadLimit(512)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	gone := make(chan struct{})
	go func() { // reads only to see pongs and the close
		defer close(gone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
			conn.SetReadDeadline(time.Now().Add(pongWait))
		}
	}()
	send := func(e queue.Event) error {
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteJSON(e)
	}
	sent := since
	if truncated {
		if err := send(queue.Event{Seq: since, Type: EventReplayTruncated, At: s.now()}); err != nil {
			return
		}
	}
	if !s.replay(r, gone, centre, &sent, send) {
		return
	}
	// What was committed during the replay is in the subscription; a
	// lagging one was dropped and the client resumes from sent.
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case m, ok := <-sub.C:
			e := m.Event
			if !ok {
				// Dropped for lagging: close so the client reconnects with since=sent.
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "lagging; reconnect with since"), time.Now().Add(time.Second))
				return
			}
			if e.Seq <= sent {
				continue
			}
			if e.Seq != sent+1 {
				// A gap means events were committed between the replay and
				// now that the hub's buffer lost: replay them from the store.
				evs, err := s.store.Events(centre, sent, int(e.Seq-sent-1))
				if err != nil {
					return
				}
				for _, g := range evs {
					if err := send(g); err != nil {
						return
					}
					sent = g.Seq
				}
			}
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.TextMessage, m.JSON); err != nil {
				return
			}
			sent = e.Seq
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		case <-gone:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// replay sends the stored events after *sent, holding one of the few
// replay slots while it reads and encodes them; it reports whether the
// stream may go on.
func (s *Server) replay(r *http.Request, gone <-chan struct{}, centre string, sent *uint64, send func(queue.Event) error) bool {
	select {
	case s.streams.replays <- struct{}{}:
		defer func() { <-s.streams.replays }()
	case <-gone: // the client left while waiting
		return false
	case <-r.Context().Done():
		return false
	}
	for {
		evs, err := s.store.Events(centre, *sent, replayBatch)
		if err != nil {
			s.log.Error("event replay", "centre", centre, "err", err)
			return false
		}
		for _, e := range evs {
			if err := send(e); err != nil {
				return false
			}
			*sent = e.Seq
		}
		if len(evs) < replayBatch {
			return true
		}
	}
}
