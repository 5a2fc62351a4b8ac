package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// errStop, returned by an op, ends its worker's loop: a phase bounded by
// its own count.
var errStop = errors.New("stop")

// maxOps bounds every phase in count as well as in time.
const maxOps = 2_000_000

// drive runs op from clients goroutines for d (or maxOps in all) and
// times each call.
func drive(name string, clients int, d time.Duration, op func(worker, i int) error) row {
	r := driveQuiet(name, clients, d, op)
	logf("%s ×%d: %.0f ops/s", name, clients, r.rate())
	return r
}

// driveQuiet is drive without its log line.
func driveQuiet(name string, clients int, d time.Duration, op func(worker, i int) error) row {
	var mu sync.Mutex
	r := row{name: name, clients: clients}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	per := maxOps / clients
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make(latencies, 0, 4096)
			errs := 0
			for i := 0; i < per && time.Now().Before(deadline); i++ {
				t0 := time.Now()
				err := op(w, i)
				if errors.Is(err, errStop) {
					break
				}
				if err != nil {
					errs++
					if errs == 1 {
						logf("%s: %v", name, err)
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			r.errs += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.n = len(r.lat)
	return r
}

// add merges another measurement of the same thing into r.
func (r *row) add(o row) {
	r.n += o.n
	r.errs += o.errs
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
}

// openBolt opens a fresh bbolt file in dir, as the store does.
func openBolt(dir, name string) (*bolt.DB, error) {
	p := filepath.Join(dir, name)
	os.Remove(p)
	return bolt.Open(p, 0o600, &bolt.Options{Timeout: 2 * time.Second, FreelistType: bolt.FreelistArrayType})
}

// boltFloor is the bare-bbolt floor: one fsync'd Update (or Batch) per
// operation writing one small key.
func boltFloor(dir string, clients int, d time.Duration, batch bool) (row, error) {
	name := "bbolt `Update`, 1 key"
	if batch {
		name = "bbolt `Batch` (MaxBatchDelay 10 ms), 1 key"
	}
	db, bucket, err := floorFile(dir, "floor.db")
	if err != nil {
		return row{}, err
	}
	defer os.Remove(filepath.Join(dir, "floor.db"))
	defer db.Close()
	r := drive(name, clients, d, boltOp(db, bucket, batch))
	return r, nil
}

// floorFile opens a fresh bbolt file in dir with one bucket for the floor.
func floorFile(dir, name string) (*bolt.DB, []byte, error) {
	db, err := openBolt(dir, name)
	if err != nil {
		return nil, nil, err
	}
	bucket := []byte("b")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, bucket, nil
}

// boltOp writes one new 200-byte key (about a ticket's JSON) with an
// Update (or a Batch).
func boltOp(db *bolt.DB, bucket []byte, batch bool) func(w, i int) error {
	val := make([]byte, 200)
	var next atomic.Uint64
	return func(w, i int) error {
		key := binary.BigEndian.AppendUint64(nil, next.Add(1))
		fn := func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, val) }
		if batch {
			return db.Batch(fn)
		}
		return db.Update(fn)
	}
}

// The bare HTTP floors: a handler that reads a small JSON body and answers
// a small JSON, served by net/http in its own process like the server;
// with a bbolt directory it also commits one small key per request with a
// bare Update before answering: the most any HTTP service durable on bbolt
// can do on this machine, what the server's own work is measured against.
type bareReq struct {
	Service string `json:"service"`
}

func serveBare(addr, boltDir string) {
	var db *bolt.DB
	bucket := []byte("b")
	if boltDir != "" {
		var err error
		if db, err = openBolt(boltDir, "bare-http.db"); err != nil {
			fatalf("bare server: %v", err)
		}
		defer os.Remove(filepath.Join(boltDir, "bare-http.db"))
		defer db.Close()
		if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
			fatalf("bare server: %v", err)
		}
	}
	val := make([]byte, 200) // as the bbolt floor
	var n int64
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req bareReq
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if db != nil && r.Method == http.MethodPost {
			key := binary.BigEndian.AppendUint64(nil, uint64(k))
			if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, val) }); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": "bare" + strconv.FormatInt(k, 10), "number": req.Service + "001", "status": "waiting", "position": 1, "estimated_wait_seconds": 0})
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	// The parent stops this child when done; stop by itself after an hour at most.
	go func() { time.Sleep(time.Hour); srv.Shutdown(context.Background()) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	go func() { <-stop; srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fatalf("bare server: %v", err)
	}
}
