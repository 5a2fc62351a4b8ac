package accounts

import (
	"fmt"
	"slices"
	"time"

	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// RatingTabletTTL is how long a paired rating tablet stays paired.
const RatingTabletTTL = 365 * 24 * time.Hour

// PairRatingTablet pairs a rating tablet with a counter of a centre, for a
// clerk of the centre (or an admin) signed in on the tablet once: the
// tablet gets an account of its own and a token that may only rate the
// tickets of that counter. Pairing again unpairs the counter's earlier
// tablet (its account disabled, its sessions ended). It returns the token
// and its session.
func PairRatingTablet(tx *engine.Tx, centre string, counter int, by string) (string, queue.Session, error) {
	token := NewToken()
	l, err := tx.Live(centre)
	if err != nil {
		return "", queue.Session{}, err
	}
	if !slices.ContainsFunc(l.Config().Counters, func(k queue.CounterConfig) bool { return k.Number == counter }) {
		return "", queue.Session{}, queue.Errorf(queue.ENotFound, "no counter %d", "không có quầy %d", counter)
	}
	users, err := tx.Store().Users()
	if err != nil {
		return "", queue.Session{}, err
	}
	for _, old := range users {
		if old.Role == queue.RoleRating && old.Centre == centre && old.Counter == counter && !old.Disabled {
			old.Disabled = true
			old.EndSessions()
			tx.PutUser(old)
		}
	}
	tablet := queue.User{Username: fmt.Sprintf("rating-%s-%d-%s", centre, counter, engine.NewID()[:6]), Role: queue.RoleRating, Centre: centre, Counter: counter,
		Name: fmt.Sprintf("Máy đánh giá quầy %d (ghép bởi %s)", counter, by), CreatedAt: tx.Now}
	tx.PutUser(tablet)
	se := queue.Session{Hash: HashToken(token), Username: tablet.Username, Expires: tx.Now.Add(RatingTabletTTL)}
	tx.PutSession(se)
	return token, se, nil
}
