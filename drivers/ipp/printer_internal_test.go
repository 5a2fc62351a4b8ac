package ipp

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ url, post, uri string }{
		{"ipp://printer.local/ipp/print", "http://printer.local:631/ipp/print", "ipp://printer.local:631/ipp/print"},
		{"ipps://10.0.0.5/ipp/print", "https://10.0.0.5:631/ipp/print", "ipps://10.0.0.5:631/ipp/print"},
		{"ipp://127.0.0.1:8631/printers/a4", "http://127.0.0.1:8631/printers/a4", "ipp://127.0.0.1:8631/printers/a4"},
		{"ipp://[fe80::1]/ipp/print", "http://[fe80::1]:631/ipp/print", "ipp://[fe80::1]:631/ipp/print"},
		{"IPP://printer", "http://printer:631/", "ipp://printer:631/"},
	} {
		post, uri, err := (&Printer{URL: tc.url}).endpoint()
		if err != nil || post != tc.post || uri != tc.uri {
			t.Errorf("%s: %s %s %v, want %s %s", tc.url, post, uri, err, tc.post, tc.uri)
		}
	}
	for _, bad := range []string{"", "printer", "lpd://printer/queue", "ipp:///ipp/print", "socket://10.0.0.1:9100"} {
		if _, _, err := (&Printer{URL: bad}).endpoint(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A password in the printer's URL is never in an error.
func TestPasswordRedacted(t *testing.T) {
	p := &Printer{URL: "ipp://tech:s3cret@127.0.0.1:1/ipp/print"}
	_, err := p.Attributes(context.Background())
	if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err %v", err)
	}
	if _, _, err := (&Printer{URL: "lpd://tech:s3cret@host/q"}).endpoint(); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err %v", err)
	}
}
