// Package demo holds the demo centre that `queue-server -demo` loads into an
// empty store: a merged ward centre of Hà Nội with six services and five
// counters (from shared/data/demo-centre.json).
package demo

import (
	_ "embed"
	"encoding/json"

	"xephang/queue-server/queue"
)

//go:embed centre.json
var centreJSON []byte

// Centre returns the demo centre, normalised and validated.
func Centre() (queue.Centre, error) {
	var c queue.Centre
	if err := json.Unmarshal(centreJSON, &c); err != nil {
		return c, err
	}
	c.Address = "Số 1 phố Demo, phường Hoàn Kiếm, Hà Nội"
	c.Normalize()
	return c, c.Validate()
}

// Clerks are the demo's counter staff accounts: username → counter.
var Clerks = []string{"canbo1", "canbo2", "canbo3", "canbo4", "canbo5"}

// ClerkPassword is the demo clerks' password; the demo is for trying, not
// for service.
const ClerkPassword = "demo12345"
