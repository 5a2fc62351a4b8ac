package httpapi

import (
	"sync"
	"time"
)

// limiter is a token bucket per key (a client address): burst requests at
// once, refilled at burst per window. Old keys are forgotten.
type limiter struct {
	mu     sync.Mutex
	burst  float64
	window time.Duration
	keys   map[string]*bucket
	swept  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, window time.Duration) *limiter {
	return &limiter{burst: float64(burst), window: window, keys: map[string]*bucket{}}
}

// allow takes a token for key at now, reporting whether one was left.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window {
		for k, b := range l.keys {
			if now.Sub(b.at) > l.window {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.burst/l.window.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
