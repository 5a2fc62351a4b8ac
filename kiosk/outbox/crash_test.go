package outbox

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashWriterEnv names the store a helper process writes to until it is
// killed (TestKilledWhileKeepingDocuments starts it).
const crashWriterEnv = "XEPHANG_OUTBOX_CRASH_WRITER"

// TestCrashWriter is the helper process: it takes tickets with two
// documents each, marks some sent and their documents sent, and prints
// each key once Take returned (what the kiosk acknowledges), until killed.
// Run by itself (without the variable) it does nothing.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashWriterEnv)
	if path == "" {
		return
	}
	s, err := Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	s.AddBlock(Block{ID: "b", Service: "A", Day: "2026-11-24", From: 1, To: 100000})
	pdf := bytes.Repeat([]byte("%PDF-1.7 page of a dossier\n"), 8000) // ~200 kB
	for i := 0; ; i++ {
		tk := ticket(i, "A")
		tk.Key = fmt.Sprintf("crash-%d-%d", os.Getpid(), i)
		tk.Documents = []Document{{ID: NewDocumentID(), Name: "a", PDF: append(pdf, byte(i))}, {ID: NewDocumentID(), Name: "b", PDF: pdf}}
		got, err := s.Take(tk)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("took", got.Key)
		if i%2 == 0 {
			s.MarkSent(got.Key, "T"+got.Key, time.Now())
			s.DocumentSent(got.Key, got.Documents[0].ID, "")
		}
	}
}

// TestKilledWhileKeepingDocuments kills -9 a process writing tickets with
// documents at several points: every ticket it acknowledged is there
// after the restart, each of its documents not sent has its file with the
// PDF whose SHA-256 it recorded, and no other file is left.
func TestKilledWhileKeepingDocuments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.db")
	acked := map[string]bool{}
	for round, after := range []int{1, 7, 23} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		for n < after && sc.Scan() {
			line := sc.Text()
			if key, ok := strings.CutPrefix(line, "took "); ok {
				acked[key] = true
				n++
			} else if strings.HasPrefix(line, "error") {
				t.Fatalf("writer: %s", line)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() { // what it acknowledged before dying
			if key, ok := strings.CutPrefix(sc.Text(), "took "); ok {
				acked[key] = true
			}
		}
		cmd.Wait()

		s, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		ts, err := s.Tickets("")
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		want := map[string]bool{}
		for _, tk := range ts {
			have[tk.Key] = true
			for _, d := range tk.Documents {
				if d.Sent {
					continue
				}
				want[d.ID+".pdf"] = true
				b, err := s.DocumentPDF(d)
				sum := sha256.Sum256(b)
				if err != nil || hex.EncodeToString(sum[:]) != d.SHA256 || len(b) != d.Size {
					t.Errorf("round %d: %s: document %s: %v", round, tk.Key, d.ID, err)
				}
			}
		}
		for key := range acked {
			if !have[key] {
				t.Errorf("round %d: acknowledged ticket %s lost", round, key)
			}
		}
		ents, _ := os.ReadDir(DocumentsDir(path))
		for _, e := range ents {
			if !want[e.Name()] {
				t.Errorf("round %d: file %s left with no ticket waiting for it", round, e.Name())
			}
		}
		if len(ents) != len(want) {
			t.Errorf("round %d: %d files, %d documents waiting", round, len(ents), len(want))
		}
		t.Logf("round %d: killed after %d acknowledged; %d tickets, %d document files", round, n, len(ts), len(ents))
		s.Close()
	}
}
