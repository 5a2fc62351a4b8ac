// Package testsrv starts the real servers that tests of queue-server run
// against: throwaway PostgreSQL clusters (a primary and streaming standbys)
// and a haproxy load balancer, all on loopback, each removed when its test
// ends. Tests use Debian's packages, which the test command installs
// (provisioning/dev-deps.sh); a missing binary fails the test, it is not
// skipped.
//
// PostgreSQL refuses to run as root, and CI runs as root: as root the
// cluster's programs run as the postgres user (runuser), in a directory
// that user owns.
package testsrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Superuser is the name of every test cluster's superuser (trust
// authentication on loopback only).
const Superuser = "xephang"

// Cluster is a PostgreSQL cluster of a test.
type Cluster struct {
	Dir  string // data directory
	Port int
	bin  string
	log  string
	dbs  atomic.Int64
}

// PGOptions tunes a cluster. The zero value is a durable cluster (fsync
// on), as production runs; Fast turns fsync off for tests that measure
// nothing and lose nothing on a crash of the machine.
type PGOptions struct {
	Fast bool
	// Settings are extra postgresql.conf lines ("name = value").
	Settings []string
}

// PGBin returns the directory of the newest installed PostgreSQL's server
// programs (/usr/lib/postgresql/N/bin).
func PGBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("testsrv: no PostgreSQL server in /usr/lib/postgresql (run provisioning/dev-deps.sh test)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// StartPostgres initialises and starts a cluster on a free loopback port;
// it is stopped and removed when the test ends.
func StartPostgres(t testing.TB, o PGOptions) *Cluster {
	t.Helper()
	bin, err := PGBin()
	if err != nil {
		t.Fatal(err)
	}
	base := ownedDir(t, "xephang-pg-")
	c := &Cluster{Dir: filepath.Join(base, "data"), bin: bin, log: filepath.Join(base, "postgres.log")}
	if out, err := c.run("initdb", "-D", c.Dir, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = ''",
		"max_connections = 200",
		"shared_buffers = 64MB",
		"wal_level = replica",
		"max_wal_senders = 4",
		"wal_keep_size = 64MB",
		"log_min_messages = warning",
		"logging_collector = off",
	}
	if o.Fast {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	}
	conf = append(conf, o.Settings...)
	if err := appendConf(c.Dir, conf); err != nil {
		t.Fatal(err)
	}
	c.start(t)
	return c
}

// Standby makes a streaming-replication standby of c (pg_basebackup -R)
// and starts it on a port of its own. With sync, c then waits for it
// before any commit returns (synchronous_standby_names = '*').
func (c *Cluster) Standby(t testing.TB, sync bool) *Cluster {
	t.Helper()
	base := ownedDir(t, "xephang-pg-standby-")
	s := &Cluster{Dir: filepath.Join(base, "data"), bin: c.bin, log: filepath.Join(base, "postgres.log")}
	if out, err := s.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", Superuser,
		"-D", s.Dir, "-R", "-X", "stream", "-c", "fast", "--no-sync", "-d", "application_name=standby"); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	s.start(t)
	if sync {
		c.SQL(t, "postgres", "ALTER SYSTEM SET synchronous_standby_names = '*'")
		c.SQL(t, "postgres", "SELECT pg_reload_conf()")
		deadline := time.Now().Add(30 * time.Second)
		for {
			out := c.SQL(t, "postgres", "SELECT sync_state FROM pg_stat_replication")
			if strings.Contains(out, "sync") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("standby never became synchronous: %q", out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return s
}

// Promote turns a standby into a primary and waits until it takes writes.
func (c *Cluster) Promote(t testing.TB) {
	t.Helper()
	if out, err := c.run("pg_ctl", "promote", "-D", c.Dir, "-w", "-t", "60"); err != nil {
		t.Fatalf("pg_ctl promote: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.SQL(t, "postgres", "SELECT pg_is_in_recovery()"), "f") {
		if time.Now().After(deadline) {
			t.Fatal("standby still in recovery after promote")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills the cluster's postmaster and every backend with SIGKILL, as
// a dying machine would.
func (c *Cluster) Kill(t testing.TB) {
	t.Helper()
	pid := c.pid()
	if pid == 0 {
		t.Fatal("testsrv: no postmaster pid")
	}
	// The backends are the postmaster's children: kill them too, or they
	// keep serving the connections they have.
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	syscall.Kill(pid, syscall.SIGKILL)
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	for i := 0; i < 200 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// URL is the connection string of database db of the cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.Port, db)
}

// CreateDB creates a new, empty database and returns its URL.
func (c *Cluster) CreateDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	c.SQL(t, "postgres", "CREATE DATABASE "+name)
	return c.URL(name)
}

// SQL runs statements with psql in database db and returns what it
// printed (unaligned, tuples only).
func (c *Cluster) SQL(t testing.TB, db, sql string) string {
	t.Helper()
	out, err := exec.Command("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
		"-p", strconv.Itoa(c.Port), "-U", Superuser, "-d", db, "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Log returns what the server logged so far.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.log)
	return string(b)
}

func (c *Cluster) start(t testing.TB) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		c.Port, err = FreePort()
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		out, err = c.run("pg_ctl", "start", "-D", c.Dir, "-l", c.log, "-w", "-t", "60",
			"-o", fmt.Sprintf("-p %d", c.Port))
		if err == nil {
			break
		}
		err = fmt.Errorf("%v\n%s\n%s", err, out, c.Log())
	}
	if err != nil {
		t.Fatalf("pg_ctl start: %v", err)
	}
	t.Cleanup(func() {
		if c.pid() != 0 {
			c.run("pg_ctl", "stop", "-D", c.Dir, "-m", "immediate", "-w", "-t", "30")
		}
		os.RemoveAll(filepath.Dir(c.Dir))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if exec.Command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port)).Run() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("cluster on port %d never ready:\n%s", c.Port, c.Log())
}

// pid is the postmaster's pid, 0 when it is not running.
func (c *Cluster) pid() int {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	if pid == 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// run runs one of the cluster's programs, as the postgres user when this
// process is root.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	return cmd.CombinedOutput()
}

// ownedDir makes a fresh directory that the cluster's user owns.
func ownedDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testsrv: running as root needs the postgres user of Debian's PostgreSQL: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func appendConf(dir string, lines []string) error {
	f, err := os.OpenFile(filepath.Join(dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n# testsrv\n" + strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
