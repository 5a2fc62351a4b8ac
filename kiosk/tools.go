package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"xephang/drivers/idcard"
)

// idcardParse implements `kioskd idcard parse`: one card QR payload or the
// MRZ lines on stdin, the card as JSON on stdout.
func idcardParse(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd idcard parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	today := fs.String("today", "", "judge expiry on this date (YYYY-MM-DD) instead of today")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return exitUsage
	}
	now, ok := todayOf(*today, stderr)
	if !ok {
		return exitUsage
	}
	in, err := io.ReadAll(io.LimitReader(stdin, idcard.MaxPayload+1))
	if err != nil {
		fmt.Fprintf(stderr, "kioskd: reading stdin: %v\n", err)
		return exitProblem
	}
	card, err := idcard.Parse(string(in), now)
	if errors.Is(err, idcard.ErrUnrecognised) {
		card = &idcard.Card{Errors: []string{"input is neither a card QR payload nor an MRZ"}}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(card); err != nil {
		fmt.Fprintf(stderr, "kioskd: %v\n", err)
		return exitProblem
	}
	if !card.Valid {
		return exitProblem
	}
	return exitOK
}

// todayOf is the time a technician tool judges expiry at: midday of the
// -today flag's date when given (YYYY-MM-DD), else now; false (the error
// said on stderr) when the date is not one.
func todayOf(today string, stderr io.Writer) (time.Time, bool) {
	if today == "" {
		return time.Now(), true
	}
	t, err := time.ParseInLocation("2006-01-02", today, time.Local)
	if err != nil {
		fmt.Fprintf(stderr, "kioskd: -today: %v\n", err)
		return time.Time{}, false
	}
	return t.Add(12 * time.Hour), true
}
