package httpapi

import (
	"net/http"
	"strconv"
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

// handleEvents streams a centre's events: every stored event after since
// first, then live ones, in sequence order with no gap and no repeat.
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
	last, err := s.eng.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(centre)
		if err != nil {
			return nil, err
		}
		return l.LastSeq(), nil
	})
	cancel()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if since > last.(uint64) {
		since = last.(uint64) // a client ahead of the server (restored from backup): start at the end
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, queue.Errorf(queue.EBadRequest, "this is a WebSocket endpoint", "đây là điểm kết nối WebSocket"))
		return
	}
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
	for {
		evs, err := s.store.Events(centre, sent, replayBatch)
		if err != nil {
			s.log.Error("event replay", "centre", centre, "err", err)
			return
		}
		for _, e := range evs {
			if err := send(e); err != nil {
				return
			}
			sent = e.Seq
		}
		if len(evs) < replayBatch {
			break
		}
	}
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
