package engine

import "context"

// PurgeNow runs the hourly purge now, in the engine's loop.
func PurgeNow(e *Engine) {
	e.do(context.Background(), false, func(*Tx) (any, error) { e.purge(); return nil, nil })
}
