package devices

import (
	"context"
	"fmt"
	"io"
	"strings"

	"xephang/drivers/escpos"
	"xephang/drivers/port"
	"xephang/drivers/scanner"
)

// OpenScanner opens the document scanner of spec, the one format of the
// daemon's -scanner and `kioskd scanner test`: sane[:DEVICE] (SANE's
// default device when none is named), escl:URL, folder:DIR, or sim (a
// simulated feeder of three sheets); nil for "".
func OpenScanner(spec string) (scanner.Scanner, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	switch kind {
	case "":
		return nil, nil
	case "sane":
		return &scanner.SANE{Device: rest}, nil
	case "escl":
		return &scanner.ESCL{URL: rest}, nil
	case "folder":
		return &scanner.Folder{Dir: rest}, nil
	case SimSpec:
		if rest == "" {
			return simFeeder{}, nil
		}
	}
	return nil, fmt.Errorf("devices: scanner %q: use sane[:DEVICE], escl:URL, folder:DIR or sim", spec)
}

// OpenPrinter opens the ticket printer of a port spec once, without the
// daemon's reconnection (the technician's test says at once what fails);
// closing the returned port closes it.
func OpenPrinter(ctx context.Context, spec string, prof escpos.Profile) (*escpos.Printer, io.Closer, error) {
	dev, err := port.Open(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	return escpos.New(dev, dev, prof), dev, nil
}
