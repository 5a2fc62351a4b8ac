package scanner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SANE scans through scanimage(1).
type SANE struct {
	Device     string   // SANE device name, e.g. "epjitsu:libusb:001:004" or "test"
	Command    string   // scanimage by default
	ADFSource  string   // the backend's name for its feeder; "Automatic Document Feeder" by default
	ExtraArgs  []string // more scanimage options, e.g. backend-specific ones
	PageWidth  float64  // scan area in mm (-x); 0 for the backend's default (usually all of it)
	PageHeight float64  // scan area in mm (-y)
}

// String returns "sane:" and the device.
func (s *SANE) String() string { return "sane:" + s.Device }

func (s *SANE) command() string {
	if s.Command != "" {
		return s.Command
	}
	return "scanimage"
}

// ListSANE returns the SANE devices scanimage finds.
func ListSANE(ctx context.Context, command string) ([]string, error) {
	if command == "" {
		command = "scanimage"
	}
	if _, err := exec.LookPath(command); err != nil {
		return nil, fmt.Errorf("scanner: %w", ErrNoScanimage)
	}
	out, err := exec.CommandContext(ctx, command, "-f", "%d%n").Output()
	if err != nil {
		return nil, fmt.Errorf("scanner: scanimage -f: %w", err)
	}
	var devs []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			devs = append(devs, l)
		}
	}
	return devs, nil
}

var (
	reScanning = regexp.MustCompile(`^Scanning page (\d+)`)
	reProgress = regexp.MustCompile(`^Progress: ([0-9.]+)%`)
	reScanned  = regexp.MustCompile(`^Scanned page (\d+)\.`)
)

// saneMessages map scanimage's words (the SANE status strings) to errors.
var saneMessages = []struct {
	text string
	err  error
}{
	{"Document feeder jammed", ErrJammed},
	{"Document feeder out of documents", ErrFeederEmpty},
	{"Scanner cover is open", ErrCoverOpen},
	{"Device busy", ErrBusy},
	{"open of device", ErrNoDevice},
	{"no SANE devices found", ErrNoDevice},
	{"Error during device I/O", ErrIO},
}

// Scan runs one scanimage batch and returns its pages.
func (s *SANE) Scan(ctx context.Context, opt Options, progress func(Progress)) ([]Page, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if opt.Format != PNG && opt.Format != TIFF && opt.Format != JPEG && opt.Format != PDF {
		return nil, fmt.Errorf("scanner: format %q: %w", opt.Format, ErrBadOptions)
	}
	if _, err := exec.LookPath(s.command()); err != nil {
		return nil, fmt.Errorf("scanner: %w", ErrNoScanimage)
	}
	prefix := filepath.Join(opt.Dir, fmt.Sprintf("scan-%d-", time.Now().UnixNano()))
	mode := "Color"
	if opt.Mode == Gray {
		mode = "Gray"
	}
	args := []string{"-d", s.Device, "--format=" + string(opt.Format), "--resolution", strconv.Itoa(opt.Resolution),
		"--mode", mode, "-p", "--batch=" + prefix + "%04d" + ext(opt.Format)}
	if opt.MaxPages > 0 {
		args = append(args, "--batch-count="+strconv.Itoa(opt.MaxPages))
	}
	if opt.Source == ADF {
		src := s.ADFSource
		if src == "" {
			src = "Automatic Document Feeder"
		}
		args = append(args, "--source", src)
	}
	if s.PageWidth > 0 {
		args = append(args, "-x", strconv.FormatFloat(s.PageWidth, 'f', -1, 64))
	}
	if s.PageHeight > 0 {
		args = append(args, "-y", strconv.FormatFloat(s.PageHeight, 'f', -1, 64))
	}
	args = append(args, s.ExtraArgs...)

	cmd := exec.CommandContext(ctx, s.command(), args...)
	cmd.WaitDelay = 2 * time.Second
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("scanner: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("scanner: start scanimage: %w", err)
	}
	var (
		mu       sync.Mutex
		messages []string
		wg       sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		page := 0
		sc := bufio.NewScanner(stderr)
		sc.Split(splitCRLF)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case reScanning.MatchString(line):
				page, _ = strconv.Atoi(reScanning.FindStringSubmatch(line)[1])
				report(progress, Progress{Page: page})
			case reProgress.MatchString(line):
				pc, _ := strconv.ParseFloat(reProgress.FindStringSubmatch(line)[1], 64)
				report(progress, Progress{Page: max(page, 1), Percent: pc})
			case reScanned.MatchString(line):
				n, _ := strconv.Atoi(reScanned.FindStringSubmatch(line)[1])
				if strings.Contains(line, "status = 5") || !strings.Contains(line, "status =") {
					report(progress, Progress{Page: n, Percent: 100, Done: true})
				}
			case line != "":
				mu.Lock()
				messages = append(messages, line)
				mu.Unlock()
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	wg.Wait()
	runErr := cmd.Wait()
	pages := collectPages(prefix, opt.Format)

	if ctx.Err() != nil {
		return pages, fmt.Errorf("scanner: scan cancelled: %w", ctx.Err())
	}
	var cause error
	mu.Lock()
	text := strings.Join(messages, "; ")
	mu.Unlock()
	for _, m := range saneMessages {
		if strings.Contains(text, m.text) {
			cause = m.err
			break
		}
	}
	switch {
	case errors.Is(cause, ErrFeederEmpty) && len(pages) > 0 && opt.Source == ADF:
		return pages, nil // the feeder ran out after some pages: a batch's normal end
	case runErr == nil && cause == nil && len(pages) > 0:
		return pages, nil
	case cause == nil && runErr == nil:
		return nil, fmt.Errorf("scanner: %w", ErrNoPages)
	case cause == nil:
		cause = ErrIO
	}
	// scanimage exits 0 when the first page of a batch fails (the status is
	// only in its words), so the words decide.
	return pages, fmt.Errorf("scanner: scanimage: %w (%s)", cause, text)
}

// collectPages lists the batch's files in page order, skipping empty ones.
func collectPages(prefix string, f Format) []Page {
	matches, _ := filepath.Glob(prefix + "*" + ext(f))
	sort.Strings(matches)
	var pages []Page
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil || fi.Size() == 0 {
			os.Remove(m)
			continue
		}
		pages = append(pages, Page{Number: len(pages) + 1, Path: m, Format: f, Size: fi.Size()})
	}
	return pages
}

// splitCRLF splits scanimage's stderr at "\r" (progress) as well as "\n".
func splitCRLF(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
