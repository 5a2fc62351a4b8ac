package storecopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"
	"time"

	"xephang/queue-server/queue"
)

// Verify compares two stores kind by kind: for every centre (of either
// side) its configuration, meta, counters, numbering, statistics,
// tickets, events, bookings, audit, no-shows, blocks, messages, contacts,
// webhooks and dossiers (forms, documents with their PDFs' digests,
// confirmations); then the users,
// the sessions not expired, the kiosks, the enrolment tokens and the key
// fingerprints. Each side of each kind gives a count and a SHA-256 over
// the canonical JSON of its rows (times in UTC, object keys sorted): of
// the rows in order for the events (by seq), the audit and the no-shows,
// whose order is part of them; of the rows' own digests sorted for the
// others, which a store may keep in any order. The event stream is thus
// compared whole: every seq, type and payload. An error says what differs;
// the report has every row either way.
func Verify(ctx context.Context, src, dst Source) (rep Report, err error) {
	start := time.Now()
	defer func() {
		if err != nil {
			err = fmt.Errorf("storecopy: %w", err)
		}
	}()
	rep = Report{Verified: true}
	srcIDs, err := src.CentreIDs()
	if err != nil {
		return rep, fmt.Errorf("source: centres: %w", err)
	}
	dstIDs, err := dst.CentreIDs()
	if err != nil {
		return rep, fmt.Errorf("target: centres: %w", err)
	}
	ids := slices.Sorted(maps.Keys(setOf(append(slices.Clone(srcIDs), dstIDs...))))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		a, err := centreSums(src, id, slices.Contains(srcIDs, id))
		if err != nil {
			return rep, fmt.Errorf("source: centre %s: %w", id, err)
		}
		b, err := centreSums(dst, id, slices.Contains(dstIDs, id))
		if err != nil {
			return rep, fmt.Errorf("target: centre %s: %w", id, err)
		}
		rep.Rows = append(rep.Rows, compare(id, centreKinds, a, b)...)
	}
	a, err := accountSums(src, start)
	if err != nil {
		return rep, fmt.Errorf("source: %w", err)
	}
	b, err := accountSums(dst, start)
	if err != nil {
		return rep, fmt.Errorf("target: %w", err)
	}
	rep.Rows = append(rep.Rows, compare("", accountKinds, a, b)...)
	rep.Elapsed = time.Since(start)
	if bad := rep.Mismatches(); len(bad) > 0 {
		var what []string
		for _, r := range bad {
			where := r.Centre
			if where == "" {
				where = "accounts"
			}
			what = append(what, fmt.Sprintf("%s %s (%d/%d)", where, r.Kind, r.Count, r.Target))
		}
		list := strings.Join(what, ", ")
		return rep, queue.Errorf(queue.EConflict, "the copy differs from its source: %s", "bản sao khác nguồn: %s", list)
	}
	return rep, nil
}

var (
	centreKinds = []string{KindConfig, KindMeta, KindCounters, KindNumbers, KindStats, KindTickets, KindEvents, KindBookings, KindAudit, KindNoShows, KindBlocks,
		KindMessages, KindContacts, KindWebhooks, KindDossierForms, KindDossierDocuments, KindDossierConfirms,
		KindProcedureQuestions}
	accountKinds = []string{KindUsers, KindSessions, KindKiosks, KindEnrollments, KindKeyIDs}
)

func setOf(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// compare makes the rows of two sides' digests.
func compare(centre string, kinds []string, a, b map[string]*digest) []Row {
	var rows []Row
	for _, k := range kinds {
		rows = append(rows, Row{Centre: centre, Kind: k, Count: a[k].n, Sum: a[k].sum(), Target: b[k].n, TargetSum: b[k].sum()})
	}
	return rows
}

// digest is a count and a checksum of one kind of rows.
type digest struct {
	n       int
	ordered bool
	stream  hash.Hash  // ordered: the rows' canonical JSON, one a line
	items   [][32]byte // unordered: each row's digest
}

func newDigests(kinds []string, ordered ...string) map[string]*digest {
	m := map[string]*digest{}
	for _, k := range kinds {
		m[k] = &digest{ordered: slices.Contains(ordered, k), stream: sha256.New()}
	}
	return m
}

func (d *digest) add(v any) error {
	raw, err := canonical(v)
	if err != nil {
		return err
	}
	d.n++
	if d.ordered {
		d.stream.Write(raw)
		d.stream.Write([]byte{'\n'})
	} else {
		d.items = append(d.items, sha256.Sum256(raw))
	}
	return nil
}

func (d *digest) sum() string {
	if d.ordered {
		return hex.EncodeToString(d.stream.Sum(nil))
	}
	slices.SortFunc(d.items, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, it := range d.items {
		h.Write(it[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// adder feeds a digest from a ForEach method.
func adder[T any](d *digest) func(T) error { return func(x T) error { return d.add(x) } }

// centreSums digests one centre of a store (nothing when it has none).
func centreSums(s Source, id string, has bool) (map[string]*digest, error) {
	d := newDigests(centreKinds, KindEvents, KindAudit, KindNoShows)
	if !has {
		return d, nil
	}
	snap, err := s.LoadCentre(id)
	if err != nil {
		return nil, err
	}
	if err := d[KindConfig].add(snap.Config); err != nil {
		return nil, err
	}
	if err := d[KindMeta].add(snap.Meta); err != nil {
		return nil, err
	}
	for _, c := range snap.Counters {
		if err := d[KindCounters].add(c); err != nil {
			return nil, err
		}
	}
	for k, v := range snap.Numbers {
		if err := d[KindNumbers].add(map[string]int{k: v}); err != nil {
			return nil, err
		}
	}
	for _, st := range snap.Stats {
		if err := d[KindStats].add(st); err != nil {
			return nil, err
		}
	}
	for _, step := range []struct {
		kind string
		each func() error
	}{
		{KindTickets, func() error { return s.ForEachTicket(id, adder[queue.Ticket](d[KindTickets])) }},
		{KindEvents, func() error { return s.ForEachEvent(id, adder[queue.Event](d[KindEvents])) }},
		{KindBookings, func() error { return s.ForEachBooking(id, adder[queue.Booking](d[KindBookings])) }},
		{KindAudit, func() error { return s.ForEachAudit(id, adder[queue.Audit](d[KindAudit])) }},
		{KindNoShows, func() error { return s.ForEachNoShow(id, adder[queue.NoShow](d[KindNoShows])) }},
		{KindBlocks, func() error { return s.ForEachBlock(id, adder[queue.NumberBlock](d[KindBlocks])) }},
		{KindMessages, func() error { return s.ForEachMessage(id, adder[queue.Message](d[KindMessages])) }},
		{KindContacts, func() error { return s.ForEachContact(id, adder[queue.Contact](d[KindContacts])) }},
		{KindWebhooks, func() error { return s.ForEachWebhook(id, adder[queue.Webhook](d[KindWebhooks])) }},
		{KindDossierForms, func() error {
			return s.ForEachDossierForm(id, func(f queue.DossierForm) error {
				// The filled form's JSON with its keys sorted: a store
				// may keep it as a JSON value (PostgreSQL's jsonb).
				var v any
				if err := json.Unmarshal(f.Filled, &v); err != nil {
					return err
				}
				f.Filled, _ = json.Marshal(v)
				return d[KindDossierForms].add(f)
			})
		}},
		{KindDossierDocuments, func() error {
			// Each document with its PDF's digest and its place among
			// its owner's.
			pos := map[string]int{}
			return s.ForEachDossierDocument(id, func(doc queue.DossierDocument, pdf []byte) error {
				pos[doc.Owner]++
				sum := sha256.Sum256(pdf)
				return d[KindDossierDocuments].add(struct {
					Doc queue.DossierDocument
					PDF string
					Pos int
				}{doc, hex.EncodeToString(sum[:]), pos[doc.Owner]})
			})
		}},
		{KindDossierConfirms, func() error { return s.ForEachDossierConfirm(id, adder[queue.DossierConfirm](d[KindDossierConfirms])) }},
		{KindProcedureQuestions, func() error {
			days, err := s.ProcedureQuestionDays(id, "")
			for _, q := range days {
				if err == nil {
					err = d[KindProcedureQuestions].add(q)
				}
			}
			return err
		}},
	} {
		if err := step.each(); err != nil {
			return nil, fmt.Errorf("%s: %w", step.kind, err)
		}
	}
	return d, nil
}

// accountSums digests the accounts of a store: its sessions still valid
// at now.
func accountSums(s Source, now time.Time) (map[string]*digest, error) {
	d := newDigests(accountKinds)
	users, err := s.Users()
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	for _, u := range users {
		if err := d[KindUsers].add(u); err != nil {
			return nil, err
		}
	}
	err = s.ForEachSession(func(se queue.Session) error {
		if !se.Expires.After(now) {
			return nil
		}
		return d[KindSessions].add(se)
	})
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	kiosks, err := s.Kiosks()
	if err != nil {
		return nil, fmt.Errorf("kiosks: %w", err)
	}
	for _, k := range kiosks {
		if err := d[KindKiosks].add(k); err != nil {
			return nil, err
		}
	}
	ens, err := s.Enrollments()
	if err != nil {
		return nil, fmt.Errorf("enrolments: %w", err)
	}
	for _, en := range ens {
		if err := d[KindEnrollments].add(en); err != nil {
			return nil, err
		}
	}
	keys, err := s.KeyIDs()
	if err != nil {
		return nil, fmt.Errorf("key ids: %w", err)
	}
	for name, id := range keys {
		if err := d[KindKeyIDs].add(map[string]string{name: id}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// canonical is a row's JSON with every timestamp in UTC, so that two
// stores that keep the same instants in different zones agree. The rows
// are Go values of the queue types: their fields come in a fixed order
// and their maps' keys sorted, however a store keeps them.
func canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out []byte // a copy, made at the first timestamp to rewrite
	last := 0
	for i := 0; i+21 < len(raw); i++ {
		// "YYYY-MM-DDTHH:MM:SS…" with a zone other than Z.
		if raw[i] != '"' || raw[i+5] != '-' || raw[i+8] != '-' || raw[i+11] != 'T' || raw[i+14] != ':' {
			continue
		}
		end := bytes.IndexByte(raw[i+1:], '"')
		if end < 0 {
			break
		}
		str := raw[i+1 : i+1+end]
		if len(str) < len("2006-01-02T15:04:05Z") || str[len(str)-1] == 'Z' {
			i += end
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, string(str))
		if err != nil {
			i += end
			continue
		}
		out = append(append(out, raw[last:i+1]...), t.UTC().Format(time.RFC3339Nano)...)
		last = i + 1 + end
		i += end
	}
	if out == nil {
		return raw, nil
	}
	return append(out, raw[last:]...), nil
}
