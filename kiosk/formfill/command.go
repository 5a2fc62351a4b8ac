package formfill

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"xephang/drivers/idcard"
	"xephang/queue-server/forms"
)

// Exit codes, as every kioskd technician command.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// Command implements `kioskd form -procedure ID -card PAYLOAD -out FILE.pdf`:
// the card (a QR payload, or the MRZ's three lines separated by line
// breaks, spaces or a literal \n; - reads it from stdin) prefills the
// procedure's form, rendered as its official PDF into FILE (mode 0600: it
// holds personal data). The fields the citizen would still fill are
// listed on stderr as a warning; the exit code is 0 once the PDF is
// written. Card problems are warnings too: the form shows what was read.
func Command(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd form", flag.ContinueOnError)
	fs.SetOutput(stderr)
	procedure := fs.String("procedure", "", "procedure id: "+strings.Join(procedures(), ", "))
	cardArg := fs.String("card", "", "card QR payload or the MRZ's three lines; - reads it from stdin")
	out := fs.String("out", "", "the PDF to write")
	commune := fs.String("commune", "", `the centre's commune, printed after "Ủy ban nhân dân" (e.g. "xã Tân Phú")`)
	place := fs.String("place", "", "the place written before the date")
	ref := fs.String("ref", "", "a reference printed in the footer (a ticket number)")
	today := fs.String("today", "", "date the form on this day (YYYY-MM-DD) instead of today")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kioskd form -procedure ID -card PAYLOAD -out FILE.pdf [-commune C] [-place P] [-ref R] [-today YYYY-MM-DD]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *procedure == "" || *cardArg == "" || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	now := time.Now()
	if *today != "" {
		t, err := time.ParseInLocation(time.DateOnly, *today, time.Local)
		if err != nil {
			fmt.Fprintf(stderr, "kioskd form: -today: %v\n", err)
			return exitUsage
		}
		now = t.Add(12 * time.Hour)
	}
	form, err := forms.Default().Form(*procedure)
	if err != nil {
		fmt.Fprintf(stderr, "kioskd form: no form for procedure %q; known: %s\n", *procedure, strings.Join(procedures(), ", "))
		return exitUsage
	}
	payload := *cardArg
	if payload == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, idcard.MaxPayload+1))
		if err != nil {
			fmt.Fprintln(stderr, "kioskd form: card:", err)
			return exitUsage
		}
		payload = string(b)
	}
	card, err := idcard.Parse(CardText(payload), now)
	if card == nil {
		fmt.Fprintln(stderr, "kioskd form: card: neither a card QR payload nor an MRZ:", err)
		return exitUsage
	}
	for _, e := range card.Errors {
		fmt.Fprintln(stderr, "kioskd form: warning: card:", e)
	}
	filled := forms.Filled{Procedure: form.Procedure, Version: form.Version, Values: form.Prefill(Person(card), "card", now), Sources: map[string]string{}}
	for k := range filled.Values {
		filled.Sources[k] = "card"
	}
	var missing []string
	for _, e := range form.Validate(&filled, now) {
		fd, _ := form.Field(e.Field)
		label := e.Field
		if fd != nil {
			label = fd.Label
		}
		if e.Code == forms.CodeRequired {
			missing = append(missing, fmt.Sprintf("%s (%s)", label, e.Field))
			continue
		}
		fmt.Fprintf(stderr, "kioskd form: warning: %s (%s): %s\n", label, e.Field, e.Message)
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "kioskd form: warning: %d required fields left to fill by hand: %s\n", len(missing), strings.Join(missing, "; "))
	}
	pdf, err := form.PDF(&filled, forms.RenderOptions{Commune: *commune, Place: *place, Ref: *ref, Now: now})
	if err != nil {
		fmt.Fprintln(stderr, "kioskd form:", err)
		return exitProblem
	}
	if err := os.WriteFile(*out, pdf, 0o600); err != nil {
		fmt.Fprintln(stderr, "kioskd form:", err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "%s: %s, %d fields from the card, %d bytes\n", *out, form.Title, len(filled.Sources), len(pdf))
	return exitOK
}

// CardText puts a card payload as typed on a command line into the form
// idcard.Parse reads: a QR payload (with |) as it is; otherwise MRZ lines,
// which a shell argument may separate by spaces or a literal \n, one a
// line.
func CardText(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, `\n`, "\n"))
	if strings.Contains(s, "|") {
		return s
	}
	return strings.Join(strings.Fields(s), "\n")
}

func procedures() []string {
	var ids []string
	for _, f := range forms.Default().Forms() {
		ids = append(ids, f.Procedure)
	}
	return ids
}
