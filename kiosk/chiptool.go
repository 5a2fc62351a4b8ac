package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"xephang/drivers/emrtd"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/chip"
	"xephang/drivers/pcsc"
	"xephang/kiosk/devices"
)

// chipFailure is the JSON `kioskd idcard chip` prints when the chip could
// not be read: a stable code and words for the technician.
type chipFailure struct {
	Code    string `json:"code"` // no_service, no_reader, no_card, no_key, access_denied, removed, not_emrtd, read_failed
	Error   string `json:"error"`
	ErrorVI string `json:"error_vi"`
}

// chipFailureOf classes a failed read.
func chipFailureOf(err error) chipFailure {
	f := chipFailure{Code: "read_failed", Error: err.Error(), ErrorVI: "Không đọc được chip."}
	switch {
	case errors.Is(err, chip.ErrNoKey):
		f.Code, f.ErrorVI = "no_key", "Thông tin đã đọc không đủ để mở chip (cần số thẻ, ngày sinh và ngày hết hạn: dòng MRZ mặt sau)."
	case errors.Is(err, pcsc.ErrNoService):
		f.Code, f.ErrorVI = "no_service", "Dịch vụ PC/SC (pcscd) không chạy."
	case errors.Is(err, pcsc.ErrNoReaders), errors.Is(err, pcsc.ErrReaderGone):
		f.Code, f.ErrorVI = "no_reader", "Không thấy đầu đọc chip."
	case errors.Is(err, devices.ErrNoChipCard), errors.Is(err, pcsc.ErrNoCard):
		f.Code, f.ErrorVI = "no_card", "Không có thẻ trên đầu đọc chip."
	case errors.Is(err, emrtd.ErrAccessDenied):
		f.Code, f.ErrorVI = "access_denied", "Chip từ chối khóa truy cập (BAC): dòng MRZ không khớp với thẻ này."
	case errors.Is(err, pcsc.ErrRemoved):
		f.Code, f.ErrorVI = "removed", "Thẻ đã rời đầu đọc khi đang đọc."
	case errors.Is(err, emrtd.ErrNotEMRTD):
		f.Code, f.ErrorVI = "not_emrtd", "Thẻ không có ứng dụng hộ chiếu điện tử (ICAO eMRTD)."
	}
	return f
}

// opticalOf reads the optical side given on the command line: the MRZ's
// three lines (separated by spaces or newlines), or a QR payload.
func opticalOf(mrz, payload string, now time.Time) (*idcard.Card, error) {
	if mrz != "" {
		lines := strings.Fields(mrz)
		c, err := idcard.ParseMRZ(strings.Join(lines, "\n"), now)
		if err != nil && c.DocumentNumber == "" {
			return nil, fmt.Errorf("%w: the MRZ does not read (%v)", chip.ErrNoKey, err)
		}
		return c, nil
	}
	c, err := idcard.Parse(payload, now)
	if c == nil {
		return nil, fmt.Errorf("%w: the card payload does not read (%v)", chip.ErrNoKey, err)
	}
	return c, nil
}

// idcardChip implements `kioskd idcard chip`: one chip read through PC/SC
// with the key of the card's MRZ (or its QR payload), the contract's JSON
// on stdout. It exits 0 when the card read is valid and its issuer's
// signature holds (genuine, or not_checked without CSCAs), 1 otherwise or
// with a JSON error when there is no reader, no card, or BAC fails.
func idcardChip(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd idcard chip", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reader := fs.String("reader", "auto", "PC/SC reader: its name or a part of it, or auto for the first")
	mrz := fs.String("mrz", "", `the card's MRZ, its three lines separated by spaces: "LINE1 LINE2 LINE3"`)
	payload := fs.String("card", "", "instead of -mrz: the card's QR payload (its expiry is derived from the issue date)")
	csca := fs.String("csca", "/etc/xephang/csca", "directory of CSCA certificates; none: authenticity not_checked")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for a card on the reader")
	today := fs.String("today", "", "judge expiry on this date (YYYY-MM-DD) instead of today")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || (*mrz == "") == (*payload == "") {
		fmt.Fprintln(stderr, `usage: kioskd idcard chip [-reader NAME] -mrz "LINE1 LINE2 LINE3" [-csca DIR]  (or -card QR-PAYLOAD)`)
		return exitUsage
	}
	now, ok := todayOf(*today, stderr)
	if !ok {
		return exitUsage
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	fail := func(err error) int {
		enc.Encode(chipFailureOf(err))
		return exitProblem
	}
	optical, err := opticalOf(*mrz, *payload, now)
	if err != nil {
		return fail(err)
	}
	key, err := chip.KeyFromCard(optical)
	if err != nil {
		return fail(err)
	}
	r, err := devices.OpenChipReader(*reader)
	if err != nil || r == nil {
		return fail(fmt.Errorf("-reader %q: %w", *reader, pcsc.ErrNoReaders))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cscas := loadCSCAs(*csca, log)
	res, err := devices.ReadChip(ctx, r, key, cscas, *wait, nil)
	if err != nil {
		return fail(err)
	}
	out := res.Output()
	out.Mismatches = chip.CrossCheck(res, optical)
	out.Stats = &res.Stats
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "kioskd: %v\n", err)
		return exitProblem
	}
	if !out.Valid || len(out.Mismatches) > 0 || (out.Authenticity != "genuine" && out.Authenticity != "not_checked") || res.Cloned() {
		return exitProblem
	}
	return exitOK
}
