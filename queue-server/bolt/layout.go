package bolt

// The layout of the file (see the package comment): schema version, bucket
// and key names, and the helpers every part of the store uses to find and
// write them.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// SchemaVersion is the layout this package writes. Open migrates older
// files step by step (migrations[v] takes a file from v to v+1) and refuses
// newer ones.
const SchemaVersion = 2

var migrations = map[int]func(tx *bolt.Tx) error{1: migrateV1}

var (
	bMeta     = []byte("meta")
	bUsers    = []byte("users")
	bSessions = []byte("sessions")
	bIDs      = []byte("ticketids")
	bCentres  = []byte("centres")
	bCodes    = []byte("codes")
	bKiosks   = []byte("kiosks")
	bEnroll   = []byte("enrollments")
	bSpent    = []byte("pow")
	bWebhooks = []byte("webhooks")
	bContacts = []byte("contacts")
	bDossiers = []byte("dossiers")   // see dossier.go
	bDossPDFs = []byte("dossierpdf") // the documents' PDFs
	bDossExp  = []byte("dossierexp") // expiry index

	bProcQuestions = []byte("procquestions") // see procquestion.go

	bIdentities = []byte("identities")    // see identity.go
	bIdentFaces = []byte("identityfaces") // the identities' faces

	bCounters = []byte("counters")
	bTickets  = []byte("tickets")
	bConfig   = []byte("config")
	bKeys     = []byte("keys")
	bEvents   = []byte("events")  // schema 1 only
	bNumbers  = []byte("numbers") // schema 1 only
	bStats    = []byte("stats")
	bAudit    = []byte("audit")
	bBookings = []byte("bookings")
	bBDays    = []byte("bdays")
	bNoShows  = []byte("noshows")
	bBlocks   = []byte("blocks")

	kSchema = []byte("schema")
	kCentre = []byte("centre")
	kMeta   = []byte("meta")
	kNum    = []byte("num/")
	kPurged = []byte("purged")
)

// ErrNewerSchema means the file was written by a newer version.
var ErrNewerSchema = errors.New("bolt: data file has a newer schema than this program")

var centreBuckets = [][]byte{bConfig, bCounters, bTickets, bKeys, bStats, bAudit, bBookings, bBDays, bNoShows, bBlocks}

// viewCentre runs f in a read transaction with a centre's bucket.
func (s *Store) viewCentre(centre string, f func(c *bolt.Bucket) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		return f(c)
	})
}

// ticketKey is where a ticket lives in its centre's tickets bucket.
func ticketKey(day, id string) []byte { return []byte(day + "/" + id) }

// logName is the name of a centre's log bucket.
func logName(centre string) []byte { return []byte("log/" + centre) }

// isSeq reports whether a key of a log is an event's.
func isSeq(k []byte) bool { return len(k) == 8 && k[0] == 0 }

func idsValue(centre string, key []byte) []byte {
	return append(append([]byte(centre), 0), key...)
}

// centreLog returns a centre's log bucket.
func centreLog(tx *bolt.Tx, centre string) (*bolt.Bucket, error) {
	if lg := tx.Bucket(logName(centre)); lg != nil {
		return lg, nil
	}
	return nil, notFound("centre", centre)
}

func centreBucket(tx *bolt.Tx, id string, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bCentres)
	if !create {
		if b := root.Bucket([]byte(id)); b != nil {
			return b, nil
		}
		return nil, notFound("centre", id)
	}
	b, err := root.CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return nil, err
	}
	if _, err := tx.CreateBucketIfNotExists(logName(id)); err != nil {
		return nil, err
	}
	for _, name := range centreBuckets {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func u64(n uint64) []byte { b := make([]byte, 8); binary.BigEndian.PutUint64(b, n); return b }
func u32(n int) []byte    { b := make([]byte, 4); binary.BigEndian.PutUint32(b, uint32(n)); return b }

func put(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// putAll writes each item under its key, as put does.
func putAll[T any](b *bolt.Bucket, items []T, key func(T) string) error {
	for _, x := range items {
		if err := put(b, []byte(key(x)), x); err != nil {
			return err
		}
	}
	return nil
}

// names gives the Vietnamese for what notFound reports.
var names = map[string]string{
	"centre": "trung tâm", "ticket": "số thứ tự", "idempotency key": "khóa chống trùng", "user": "tài khoản",
	"session": "phiên đăng nhập", "booking": "lịch hẹn", "kiosk": "ki-ốt", "enrolment token": "mã đăng ký ki-ốt",
	"contact": "thông tin liên lạc", "webhook": "webhook",
	"dossier form": "tờ khai", "dossier document": "giấy tờ của hồ sơ", "dossier confirmation": "xác nhận hồ sơ",
	"identity": "thông tin căn cước",
}

func notFound(what, id string) error {
	return queue.Errorf(queue.ENotFound, "no %[1]s %[3]q", "không tìm thấy %[2]s %[3]q", what, names[what], id)
}

// deleteBetween deletes a bucket's keys from from (inclusive) to limit.
func deleteBetween(b *bolt.Bucket, from, limit []byte) error {
	// Deleting under a bbolt cursor can skip the next key: collect first.
	var stale [][]byte
	cur := b.Cursor()
	for k, _ := cur.Seek(from); k != nil && bytes.Compare(k, limit) < 0; k, _ = cur.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	return deleteKeys(b, stale)
}

// deleteWhere deletes a bucket's keys whose value drop reports.
func deleteWhere(b *bolt.Bucket, drop func(v []byte) (bool, error)) error {
	// Deleting under a bbolt cursor can skip the next key: collect first.
	var stale [][]byte
	err := b.ForEach(func(k, v []byte) error {
		ok, err := drop(v)
		if err != nil {
			return err
		}
		if ok {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return deleteKeys(b, stale)
}

// deleteKeys deletes keys collected from a bucket.
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
