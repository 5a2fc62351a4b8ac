package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"xephang/queue-server/bolt"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
	"xephang/queue-server/storecopy"
)

// runCopy is `queue-server copy -from DATA_DIR -to postgres://…`: the
// bbolt store of a data directory, opened read-only (stop the server
// first), copied whole into an empty PostgreSQL database (migrated first,
// as the server does), then verified kind by kind. The target may also be
// a data directory holding no store yet (a bbolt copy). It says what it
// did in Vietnamese and English, a line per centre, then the table of the
// verification; the CCCD key stays a file and is not copied. Exit code 0:
// copied and verified; 1: refused or failed; 2: bad usage.
func runCopy(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("queue-server copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := "./data"
	if v := getenv("XEPHANG_DATA"); v != "" {
		from = v
	}
	to := getenv("XEPHANG_DATABASE_URL")
	fs.StringVar(&from, "from", from, "data directory of the bbolt store to copy (XEPHANG_DATA); read only")
	fs.StringVar(&to, "to", to, "the empty target: a PostgreSQL connection string, postgres://user@host/db (XEPHANG_DATABASE_URL), or a data directory holding no store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || to == "" {
		fmt.Fprintf(stderr, "queue-server copy: usage: queue-server copy -from DATA_DIR -to TARGET (unexpected: %v)\n", fs.Args())
		return 2
	}
	fail := func(err error) int {
		var qe *queue.Error
		if errors.As(err, &qe) {
			fmt.Fprintf(stderr, "queue-server copy: %s\n  %s\n", qe.VI, qe.EN)
		} else {
			fmt.Fprintln(stderr, "queue-server copy:", err)
		}
		return 1
	}
	src, err := bolt.OpenReadOnly(from)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dst, name, err := openTarget(ctx, from, to, stderr)
	if err != nil {
		return fail(err)
	}
	defer dst.Close()

	fmt.Fprintf(stdout, "Chép %s sang %s / copying %s to %s\n", filepath.Join(from, bolt.FileName), name, filepath.Join(from, bolt.FileName), name)
	rep, err := storecopy.Copy(ctx, src, dst, func(line string) { fmt.Fprintln(stdout, "  "+line) })
	if err != nil {
		if rep.Commits > 0 {
			fmt.Fprintf(stderr, "queue-server copy: đích %s giữ một phần bản sao: hãy làm trống nó trước khi chép lại / "+
				"the target %s holds part of the copy: empty it before copying again\n", name, name)
		}
		return fail(err)
	}
	secs := rep.Elapsed.Seconds()
	fmt.Fprintf(stdout, "Đã chép %d dòng trong %.1f s (%.0f dòng/s, %d lần ghi) / copied %d rows in %.1f s (%.0f rows/s, %d commits)\n",
		rep.Total(), secs, float64(rep.Total())/secs, rep.Commits, rep.Total(), secs, float64(rep.Total())/secs, rep.Commits)

	fmt.Fprintln(stdout, "Kiểm tra bản sao (số lượng, SHA-256) / verifying the copy (counts, SHA-256):")
	vrep, verr := storecopy.Verify(ctx, src, dst)
	vrep.WriteTable(stdout)
	if verr != nil {
		return fail(verr)
	}
	fmt.Fprintf(stdout, "Bản sao khớp với nguồn (kiểm tra trong %.1f s) / the copy matches its source (verified in %.1f s)\n",
		vrep.Elapsed.Seconds(), vrep.Elapsed.Seconds())
	names := make([]string, 0, len(rep.KeyIDs))
	for n, id := range rep.KeyIDs {
		names = append(names, n+" "+id)
	}
	sort.Strings(names)
	ids := strings.Join(names, ", ")
	if ids == "" {
		ids = "chưa có / none yet"
	}
	fmt.Fprintf(stdout, "Tệp khóa CCCD không được chép: nó là một tệp, không nằm trong kho dữ liệu; dùng cùng tệp đó (citizen.key trong %s, hoặc -key-file) với bản sao. "+
		"Mã khóa đã ghi vào bản sao: %s\n", from, ids)
	fmt.Fprintf(stdout, "The CCCD key file is not copied: it is a file, not in the store; use the same file (citizen.key in %s, or -key-file) with the copy. "+
		"Key fingerprints recorded in the copy: %s\n", from, ids)
	if ca := filepath.Join(from, "ca"); exists(ca) {
		fmt.Fprintf(stdout, "Thư mục CA của ki-ốt (%s) cũng không nằm trong kho dữ liệu: chép nó vào thư mục -data của mỗi máy chủ, nếu không chứng thư của các ki-ốt đã đăng ký sẽ không được chấp nhận.\n", ca)
		fmt.Fprintf(stdout, "The kiosks' CA (%s) is not in the store either: copy it into each instance's -data directory, or the enrolled kiosks' certificates are not accepted.\n", ca)
	}
	return 0
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// target is a store the copy writes and verifies.
type target interface {
	queue.Store
	storecopy.Source
}

// openTarget opens the copy's target and names it for the output (a
// database's password hidden): a PostgreSQL database, migrated as a
// server does, or a bbolt store in a data directory.
func openTarget(ctx context.Context, from, to string, stderr io.Writer) (target, string, error) {
	if isDatabase(to) {
		log := slog.New(slog.NewTextHandler(stderr, nil))
		st, err := pgstore.Open(ctx, to, pgstore.Options{Log: log})
		if err != nil {
			return nil, "", fmt.Errorf("database %s: %w", redact(to), err)
		}
		return st, redact(to), nil
	}
	a, errA := filepath.Abs(from)
	b, errB := filepath.Abs(to)
	if errA == nil && errB == nil && a == b {
		return nil, "", errors.New("the target is the source's data directory: copy into another one")
	}
	st, err := bolt.Open(to)
	if err != nil {
		return nil, "", err
	}
	return st, filepath.Join(to, bolt.FileName), nil
}

// isDatabase reports whether a target names a PostgreSQL database: a URL
// (postgres://, postgresql://) or pgx's key=value form.
func isDatabase(to string) bool {
	return strings.HasPrefix(to, "postgres://") || strings.HasPrefix(to, "postgresql://") || strings.Contains(to, "=")
}
