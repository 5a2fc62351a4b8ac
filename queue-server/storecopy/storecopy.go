// Package storecopy copies a whole store into an empty one and verifies
// the copy: how a centre that grew out of its box moves from its bbolt
// file to PostgreSQL with its history (`queue-server copy`).
//
// What is copied: every centre's configuration, meta (the event sequence
// and the day), counters, numbering, service statistics, tickets of every
// day, events with their seq, bookings, audit records, no-show records,
// number blocks, the outbox's messages with their delivery state, the
// contacts citizens gave for them, the webhooks (deleted ones too) and the
// dossiers (forms, documents with their PDFs, confirmations);
// the users, the sessions not expired, the kiosks, the
// enrolment tokens and the fingerprints of the keys the store was used
// with (the keys themselves are files, never in a store). Not copied: the
// spent anti-bot challenges (they expire within minutes).
//
// The target is written through queue.Store's Commit, in batches of at
// most BatchRows rows, each centre's first batch carrying its
// configuration and meta so that the centre exists; the events keep their
// seq, and the centre's meta is written again with its last batch.
package storecopy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"xephang/queue-server/queue"
)

// BatchRows bounds the rows one commit of the copy writes.
const BatchRows = 1000

// Source is a store read whole, in a fixed order: the centres' ids
// sorted, tickets by day then id, events by seq, bookings by code, audit
// and no-show records as recorded, blocks by day then id, sessions by
// hash; messages, contacts and webhooks in any order. The bbolt store (bolt.OpenReadOnly) is one.
type Source interface {
	CentreIDs() ([]string, error)
	// LoadCentre gives a centre's configuration, meta, counters,
	// numbering and statistics (the rest of the snapshot is not used).
	LoadCentre(id string) (queue.Snapshot, error)
	ForEachTicket(centre string, fn func(queue.Ticket) error) error
	ForEachEvent(centre string, fn func(queue.Event) error) error
	ForEachBooking(centre string, fn func(queue.Booking) error) error
	ForEachAudit(centre string, fn func(queue.Audit) error) error
	ForEachNoShow(centre string, fn func(queue.NoShow) error) error
	ForEachBlock(centre string, fn func(queue.NumberBlock) error) error
	ForEachMessage(centre string, fn func(queue.Message) error) error
	ForEachContact(centre string, fn func(queue.Contact) error) error
	// ForEachWebhook gives deleted webhooks too.
	ForEachWebhook(centre string, fn func(queue.Webhook) error) error
	// The centre's dossiers: forms, documents (each with its PDF, which
	// fn must not keep after it returns) by owner in the order they came,
	// confirmations.
	ForEachDossierForm(centre string, fn func(queue.DossierForm) error) error
	ForEachDossierDocument(centre string, fn func(queue.DossierDocument, []byte) error) error
	ForEachDossierConfirm(centre string, fn func(queue.DossierConfirm) error) error
	// ProcedureQuestionDays gives the counts of the questions asked at
	// the centre, of the days from since on ("": all).
	ProcedureQuestionDays(centre, since string) ([]queue.ProcedureQuestionDay, error)
	Users() ([]queue.User, error)
	ForEachSession(fn func(queue.Session) error) error
	Kiosks() ([]queue.Kiosk, error)
	Enrollments() ([]queue.Enrollment, error)
	// KeyIDs gives the fingerprints of the keys the store was used with,
	// by name (the CCCD hashing key's is "citizen").
	KeyIDs() (map[string]string, error)
}

// KeyRecorder is a store that records the fingerprints of the keys it is
// used with (both stores of the project do): the copy records the
// source's, so that the same key file works against it.
type KeyRecorder interface {
	KeyID(name string) (string, error)
	SetKeyID(name, id string) error
}

// Kinds of data, in the order they are copied and reported.
const (
	KindConfig   = "config"
	KindMeta     = "meta"
	KindCounters = "counters"
	KindNumbers  = "numbers"
	KindStats    = "stats"
	KindTickets  = "tickets"
	KindEvents   = "events"
	KindBookings = "bookings"
	KindAudit    = "audit"
	KindNoShows  = "no-shows"
	KindBlocks   = "blocks"
	KindMessages = "messages"
	KindContacts = "contacts"
	KindWebhooks = "webhooks"
	// Dossiers are written through queue.Dossiers, outside the batches.
	KindDossierForms     = "dossier forms"
	KindDossierDocuments = "dossier documents"
	KindDossierConfirms  = "dossier confirmations"
	// Counted questions, through queue.ProcedureQuestions.
	KindProcedureQuestions = "procedure questions"
	KindUsers              = "users"
	KindSessions           = "sessions"
	KindKiosks             = "kiosks"
	KindEnrollments        = "enrolments"
	KindKeyIDs             = "key ids"
)

// vietnamese names the kinds in the report.
var vietnamese = map[string]string{
	KindConfig: "cấu hình", KindMeta: "trạng thái", KindCounters: "quầy", KindNumbers: "đánh số", KindStats: "thống kê",
	KindTickets: "số thứ tự", KindEvents: "sự kiện", KindBookings: "lịch hẹn", KindAudit: "nhật ký thao tác",
	KindNoShows: "vắng mặt", KindBlocks: "khối số", KindMessages: "tin nhắn", KindContacts: "thông tin liên lạc", KindWebhooks: "webhook", KindUsers: "tài khoản", KindSessions: "phiên đăng nhập",
	KindDossierForms: "tờ khai", KindDossierDocuments: "giấy tờ hồ sơ", KindDossierConfirms: "xác nhận hồ sơ",
	KindProcedureQuestions: "câu hỏi về thủ tục",
	KindKiosks:             "ki-ốt", KindEnrollments: "mã đăng ký ki-ốt", KindKeyIDs: "mã khóa",
}

// Copy copies src whole into dst, which must be empty: a target holding
// anything (a centre, a user, a kiosk, an enrolment token, a key
// fingerprint, one of the sessions to copy) is refused before anything is
// written. progress, when not nil, is told of each centre copied, in
// Vietnamese and English. On an error after the first write (the report's
// Commits is not 0) the target holds part of the copy: empty it before
// trying again.
func Copy(ctx context.Context, src Source, dst queue.Store, progress func(string)) (rep Report, err error) {
	start := time.Now()
	defer func() {
		if err != nil {
			err = fmt.Errorf("storecopy: %w", err)
		}
	}()
	if progress == nil {
		progress = func(string) {}
	}
	keys, err := src.KeyIDs()
	if err != nil {
		return Report{}, fmt.Errorf("source: key ids: %w", err)
	}
	rec, _ := dst.(KeyRecorder)
	if len(keys) > 0 && rec == nil {
		return Report{}, fmt.Errorf("the target cannot record key fingerprints (%T)", dst)
	}
	var sessions []queue.Session
	err = src.ForEachSession(func(se queue.Session) error {
		if se.Expires.After(start) {
			sessions = append(sessions, se)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("source: sessions: %w", err)
	}
	if err := checkEmpty(dst, rec, keys, sessions); err != nil {
		return Report{}, err
	}
	ids, err := src.CentreIDs()
	if err != nil {
		return Report{}, fmt.Errorf("source: centres: %w", err)
	}
	w := &writer{ctx: ctx, dst: dst}
	defer func() { rep.Commits = w.commits }()
	for _, id := range ids {
		rows, err := copyCentre(w, src, id)
		if err != nil {
			return rep, fmt.Errorf("centre %s: %w", id, err)
		}
		rep.Rows = append(rep.Rows, rows...)
		progress(centreLine(id, rows))
	}
	rows, err := copyAccounts(w, src, sessions)
	if err != nil {
		return rep, err
	}
	names := slices.Sorted(maps.Keys(keys))
	for _, name := range names {
		if err := rec.SetKeyID(name, keys[name]); err != nil {
			return rep, fmt.Errorf("key id %s: %w", name, err)
		}
	}
	rows = append(rows, Row{Kind: KindKeyIDs, Count: len(names)})
	rep.Rows = append(rep.Rows, rows...)
	progress(accountsLine(rows))
	rep.KeyIDs = keys
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// checkEmpty refuses a target that holds anything the copy would write.
func checkEmpty(dst queue.Store, rec KeyRecorder, keys map[string]string, sessions []queue.Session) error {
	var vi, en []string
	held := func(n int, v, e string) {
		if n > 0 {
			vi, en = append(vi, fmt.Sprintf("%d %s", n, v)), append(en, fmt.Sprintf("%d %s", n, e))
		}
	}
	snaps, err := dst.LoadCentres()
	if err != nil {
		return fmt.Errorf("target: centres: %w", err)
	}
	var ids []string
	for _, s := range snaps {
		ids = append(ids, s.Config.ID)
	}
	held(len(snaps), "trung tâm ("+strings.Join(ids, ", ")+")", "centre(s) ("+strings.Join(ids, ", ")+")")
	users, err := dst.Users()
	if err != nil {
		return fmt.Errorf("target: users: %w", err)
	}
	held(len(users), "tài khoản", "user(s)")
	kiosks, err := dst.Kiosks()
	if err != nil {
		return fmt.Errorf("target: kiosks: %w", err)
	}
	held(len(kiosks), "ki-ốt", "kiosk(s)")
	ens, err := dst.Enrollments()
	if err != nil {
		return fmt.Errorf("target: enrolments: %w", err)
	}
	held(len(ens), "mã đăng ký ki-ốt", "enrolment token(s)")
	if rec != nil {
		n := 0
		for name := range keys {
			id, err := rec.KeyID(name)
			if err != nil {
				return fmt.Errorf("target: key id: %w", err)
			}
			if id != "" {
				n++
			}
		}
		held(n, "mã khóa", "key fingerprint(s)")
	}
	n := 0
	for _, se := range sessions {
		_, err := dst.Session(se.Hash)
		if err == nil {
			n++
		} else if queue.ErrorCode(err) != queue.ENotFound {
			return fmt.Errorf("target: session: %w", err)
		}
	}
	held(n, "phiên đăng nhập của nguồn", "of the source's session(s)")
	if len(vi) == 0 {
		return nil
	}
	return queue.Errorf(queue.EConflict, "the target is not empty: it holds %[2]s. Copy only into an empty database; nothing was written",
		"đích không trống: đã có %[1]s. Chỉ chép vào một cơ sở dữ liệu trống; chưa ghi gì", strings.Join(vi, ", "), strings.Join(en, ", "))
}

// writer commits rows to the target in batches of at most BatchRows.
type writer struct {
	ctx     context.Context
	dst     queue.Store
	b       queue.Batch
	ch      *queue.Changes // the current centre's changes in b
	rows    int            // in b
	commits int
}

// add counts n rows added to the batch and commits it when full.
func (w *writer) add(n int) error {
	w.rows += n
	if w.rows >= BatchRows {
		return w.flush()
	}
	return nil
}

// flush commits the batch, and starts the next with the current centre's
// changes (empty) if there is one.
func (w *writer) flush() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if !w.b.Empty() {
		if err := w.dst.Commit(&w.b); err != nil {
			return fmt.Errorf("target: commit: %w", err)
		}
		w.commits++
	}
	w.b, w.rows = queue.Batch{}, 0
	if w.ch != nil {
		w.ch = &queue.Changes{Centre: w.ch.Centre}
		w.b.Centres = []*queue.Changes{w.ch}
	}
	return nil
}

// each adds every item each gives to the current centre's changes.
func each[T any](w *writer, each func(func(T) error) error, to func(*queue.Changes) *[]T) (int, error) {
	n := 0
	err := each(func(x T) error {
		s := to(w.ch)
		*s = append(*s, x)
		n++
		return w.add(1)
	})
	return n, err
}

// copyCentre copies one centre and returns what it copied.
func copyCentre(w *writer, src Source, id string) ([]Row, error) {
	snap, err := src.LoadCentre(id)
	if err != nil {
		return nil, err
	}
	cfg, meta := snap.Config, snap.Meta
	counters := slices.Clone(snap.Counters)
	sort.Slice(counters, func(i, j int) bool { return counters[i].Number < counters[j].Number })
	stats := slices.Clone(snap.Stats)
	sort.Slice(stats, func(i, j int) bool { return stats[i].Service < stats[j].Service })
	w.ch = &queue.Changes{Centre: id, Config: &cfg, Meta: &meta, Counters: counters, Stats: stats, Numbers: maps.Clone(snap.Numbers)}
	w.b.Centres = append(w.b.Centres, w.ch)
	rows := []Row{{Centre: id, Kind: KindConfig, Count: 1}, {Centre: id, Kind: KindMeta, Count: 1},
		{Centre: id, Kind: KindCounters, Count: len(counters)}, {Centre: id, Kind: KindNumbers, Count: len(snap.Numbers)},
		{Centre: id, Kind: KindStats, Count: len(stats)}}
	if err := w.add(2 + len(counters) + len(snap.Numbers) + len(stats)); err != nil {
		return nil, err
	}
	steps := []struct {
		kind string
		copy func() (int, error)
	}{
		{KindTickets, func() (int, error) {
			return each(w, func(f func(queue.Ticket) error) error { return src.ForEachTicket(id, f) }, func(c *queue.Changes) *[]queue.Ticket { return &c.Tickets })
		}},
		{KindEvents, func() (int, error) {
			return each(w, func(f func(queue.Event) error) error { return src.ForEachEvent(id, f) }, func(c *queue.Changes) *[]queue.Event { return &c.Events })
		}},
		{KindBookings, func() (int, error) {
			return each(w, func(f func(queue.Booking) error) error { return src.ForEachBooking(id, f) }, func(c *queue.Changes) *[]queue.Booking { return &c.Bookings })
		}},
		{KindAudit, func() (int, error) {
			return each(w, func(f func(queue.Audit) error) error { return src.ForEachAudit(id, f) }, func(c *queue.Changes) *[]queue.Audit { return &c.Audit })
		}},
		{KindNoShows, func() (int, error) {
			return each(w, func(f func(queue.NoShow) error) error { return src.ForEachNoShow(id, f) }, func(c *queue.Changes) *[]queue.NoShow { return &c.NoShows })
		}},
		{KindBlocks, func() (int, error) {
			return each(w, func(f func(queue.NumberBlock) error) error { return src.ForEachBlock(id, f) }, func(c *queue.Changes) *[]queue.NumberBlock { return &c.Blocks })
		}},
		// Messages with their delivery state (a commit inserts them as
		// given), contacts and webhooks as stored.
		{KindMessages, func() (int, error) {
			return each(w, func(f func(queue.Message) error) error { return src.ForEachMessage(id, f) }, func(c *queue.Changes) *[]queue.Message { return &c.Outbox })
		}},
		{KindContacts, func() (int, error) {
			return each(w, func(f func(queue.Contact) error) error { return src.ForEachContact(id, f) }, func(c *queue.Changes) *[]queue.Contact { return &c.Contacts })
		}},
		{KindWebhooks, func() (int, error) {
			return each(w, func(f func(queue.Webhook) error) error { return src.ForEachWebhook(id, f) }, func(c *queue.Changes) *[]queue.Webhook { return &c.Webhooks })
		}},
	}
	for _, s := range steps {
		n, err := s.copy()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.kind, err)
		}
		rows = append(rows, Row{Centre: id, Kind: s.kind, Count: n})
	}
	// The meta again with the last batch: whatever a store makes of the
	// events it is given, the centre ends at the source's seq and day.
	last := meta
	w.ch.Meta = &last
	w.ch = nil
	if err := w.flush(); err != nil {
		return nil, err
	}
	drows, err := copyDossiers(w, src, id)
	if err != nil {
		return nil, err
	}
	return append(rows, drows...), nil
}

// copyDossiers copies a centre's dossiers through the target's
// queue.Dossiers, as they are (their expiry too), and the counts of the
// questions asked there through its queue.ProcedureQuestions.
func copyDossiers(w *writer, src Source, id string) ([]Row, error) {
	ds, _ := w.dst.(queue.Dossiers)
	target := func() error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if ds == nil {
			return fmt.Errorf("the target keeps no dossiers (%T)", w.dst)
		}
		return nil
	}
	var nf, nd, nc int
	err := src.ForEachDossierForm(id, func(f queue.DossierForm) error {
		if err := target(); err != nil {
			return err
		}
		nf++
		return ds.PutForm(f)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KindDossierForms, err)
	}
	err = src.ForEachDossierDocument(id, func(d queue.DossierDocument, pdf []byte) error {
		if err := target(); err != nil {
			return err
		}
		nd++
		return ds.PutDocument(d, pdf)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KindDossierDocuments, err)
	}
	err = src.ForEachDossierConfirm(id, func(c queue.DossierConfirm) error {
		if err := target(); err != nil {
			return err
		}
		nc++
		return ds.Confirm(c)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KindDossierConfirms, err)
	}
	days, err := src.ProcedureQuestionDays(id, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KindProcedureQuestions, err)
	}
	if len(days) > 0 {
		pq, ok := w.dst.(queue.ProcedureQuestions)
		if !ok {
			return nil, fmt.Errorf("%s: the target keeps no question counts (%T)", KindProcedureQuestions, w.dst)
		}
		for _, d := range days {
			if err := w.ctx.Err(); err != nil {
				return nil, err
			}
			if err := pq.PutProcedureQuestionDay(d); err != nil {
				return nil, fmt.Errorf("%s: %w", KindProcedureQuestions, err)
			}
		}
	}
	return []Row{{Centre: id, Kind: KindDossierForms, Count: nf}, {Centre: id, Kind: KindDossierDocuments, Count: nd},
		{Centre: id, Kind: KindDossierConfirms, Count: nc}, {Centre: id, Kind: KindProcedureQuestions, Count: len(days)}}, nil
}

// copyAccounts copies the users, the sessions given, the kiosks and the
// enrolment tokens.
func copyAccounts(w *writer, src Source, sessions []queue.Session) ([]Row, error) {
	users, err := src.Users()
	if err != nil {
		return nil, fmt.Errorf("source: users: %w", err)
	}
	kiosks, err := src.Kiosks()
	if err != nil {
		return nil, fmt.Errorf("source: kiosks: %w", err)
	}
	ens, err := src.Enrollments()
	if err != nil {
		return nil, fmt.Errorf("source: enrolments: %w", err)
	}
	for _, u := range users {
		w.b.Users = append(w.b.Users, u)
		if err := w.add(1); err != nil {
			return nil, err
		}
	}
	for _, se := range sessions {
		w.b.Sessions = append(w.b.Sessions, se)
		if err := w.add(1); err != nil {
			return nil, err
		}
	}
	for _, k := range kiosks {
		w.b.Kiosks = append(w.b.Kiosks, k)
		if err := w.add(1); err != nil {
			return nil, err
		}
	}
	for _, en := range ens {
		w.b.Enrollments = append(w.b.Enrollments, en)
		if err := w.add(1); err != nil {
			return nil, err
		}
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	return []Row{{Kind: KindUsers, Count: len(users)}, {Kind: KindSessions, Count: len(sessions)},
		{Kind: KindKiosks, Count: len(kiosks)}, {Kind: KindEnrollments, Count: len(ens)}}, nil
}
