package queue

import (
	"strings"
	"time"
)

// Ticket ids carry the local day they were issued on, so that a store can
// find an old ticket by its id alone without writing an index on every
// issue (the day-ordered tickets are the index). The first TagLen
// characters encode the day as days since 2000-01-01 in 20 bits of
// lower-case base32; the rest is the random part from the id source (22
// characters, 110 random bits, in production). The whole stays 26
// characters of [a-z2-7], as before.
const (
	TagLen     = 4
	idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"
	randomLen  = 22
)

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// TicketID returns the id of a ticket issued on day (YYYY-MM-DD) from a
// fresh random id. An unparsable day gives the random id alone, which a
// store then indexes like any id that does not carry its day.
func TicketID(day, random string) string {
	d, err := time.Parse(time.DateOnly, day)
	n := int((d.Unix() - epoch.Unix()) / 86400)
	if err != nil || n < 0 || n >= 1<<(5*TagLen) {
		return random
	}
	tag := make([]byte, TagLen, TagLen+randomLen)
	for i := TagLen - 1; i >= 0; i-- {
		tag[i] = idAlphabet[n&31]
		n >>= 5
	}
	if len(random) > randomLen {
		random = random[:randomLen]
	}
	return string(append(tag, random...))
}

// TicketDay returns the day an id made by TicketID carries. Any string of
// TagLen+ characters of the alphabet decodes to some day, so callers check
// the ticket they find (ids from before schema 2 are random).
func TicketDay(id string) (string, bool) {
	if len(id) <= TagLen {
		return "", false
	}
	n := 0
	for i := 0; i < TagLen; i++ {
		v := strings.IndexByte(idAlphabet, id[i])
		if v < 0 {
			return "", false
		}
		n = n<<5 | v
	}
	return epoch.AddDate(0, 0, n).Format(time.DateOnly), true
}
