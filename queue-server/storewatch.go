package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// storeWatchEvery is how often the store's file and free space are looked at.
const storeWatchEvery = time.Second

// storeWatch notices the store's file deleted or replaced under the
// running server, and its disk nearly full: /readyz answers not ready,
// an ERROR is logged (again every minute while it lasts) and the metrics
// say so. The store itself refuses commits once its file is gone.
type storeWatch struct {
	st      *bolt.Store
	minFree uint64
	log     *slog.Logger
	metrics *httpapi.Metrics

	mu     sync.Mutex
	last   string // the problem last logged
	logged time.Time
}

// problem returns what is wrong now, nil if nothing.
func (w *storeWatch) problem() error {
	fileErr := w.st.Verify()
	free, ferr := w.st.DiskFree()
	if w.metrics != nil {
		w.metrics.ObserveStore(fileErr == nil, free)
	}
	var err error
	switch {
	case fileErr != nil:
		err = queue.Errorf(queue.EUnavailable,
			"not ready: the database file was deleted or replaced while the server ran; writes are refused. Restore the file and restart the server",
			"chưa sẵn sàng: tệp cơ sở dữ liệu đã bị xóa hoặc bị thay thế khi máy chủ đang chạy; mọi thao tác ghi bị từ chối. Hãy khôi phục tệp rồi khởi động lại máy chủ")
		w.report(fileErr.Error())
	case ferr == nil && free < w.minFree:
		err = queue.Errorf(queue.EUnavailable,
			"not ready: the disk of the database is nearly full (%d MiB free)",
			"chưa sẵn sàng: ổ đĩa chứa cơ sở dữ liệu sắp đầy (còn %d MiB)", free>>20)
		w.report(fmt.Sprintf("disk nearly full: %d MiB free beside the store, under %d MiB", free>>20, w.minFree>>20))
	default:
		w.report("")
	}
	return err
}

// report logs a new problem at once, the same one every minute, and its end.
func (w *storeWatch) report(problem string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	switch {
	case problem == "" && w.last != "":
		w.log.Warn("store problem over", "was", w.last)
	case problem != "" && (problem != w.last || now.Sub(w.logged) >= time.Minute):
		w.log.Error("STORE PROBLEM: not ready; acknowledged writes would be lost", "problem", problem)
		w.logged = now
	}
	w.last = problem
}

// run looks every storeWatchEvery until ctx ends.
func (w *storeWatch) run(ctx context.Context) {
	t := time.NewTicker(storeWatchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.problem()
		}
	}
}

// runCheck is `queue-server check -data DIR`: the checks the server makes
// before opening its store, offline. It returns the exit code.
func runCheck(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("queue-server check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := "./data"
	if v := getenv("XEPHANG_DATA"); v != "" {
		dir = v
	}
	fs.StringVar(&dir, "data", dir, "data directory (XEPHANG_DATA)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "queue-server check: unexpected arguments: %v\n", fs.Args())
		return 2
	}
	pages, err := bolt.Check(dir)
	if err != nil {
		fmt.Fprintln(stderr, "queue-server check:", err)
		return 1
	}
	fmt.Fprintf(stdout, "ok: %s/%s: %d pages, consistent\n", dir, bolt.FileName, pages)
	return 0
}
