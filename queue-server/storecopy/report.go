package storecopy

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one kind of data of one centre (of the accounts when Centre is
// ""): how many rows were copied or, from Verify, found on each side with
// their checksums.
type Row struct {
	Centre string
	Kind   string
	Count  int // copied, or found in the source
	// Verify only: the source's checksum, and the target's count and
	// checksum (hex SHA-256 of the canonical JSON, see Verify).
	Sum       string
	Target    int
	TargetSum string
}

// Matches reports whether both sides of a verified row agree.
func (r Row) Matches() bool { return r.Count == r.Target && r.Sum == r.TargetSum }

// Report is what Copy copied or Verify compared.
type Report struct {
	Rows     []Row
	Verified bool              // from Verify: the rows carry both sides
	KeyIDs   map[string]string // Copy: the key fingerprints recorded in the target
	Commits  int               // Copy: the target's commits
	Elapsed  time.Duration
}

// Total is the number of rows (of the source).
func (r Report) Total() int {
	n := 0
	for _, row := range r.Rows {
		n += row.Count
	}
	return n
}

// Mismatches returns the verified rows whose sides differ.
func (r Report) Mismatches() []Row {
	var out []Row
	for _, row := range r.Rows {
		if r.Verified && !row.Matches() {
			out = append(out, row)
		}
	}
	return out
}

// WriteTable writes the report as a table, headed in Vietnamese and English.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if r.Verified {
		fmt.Fprintln(tw, "trung tâm / centre\tdữ liệu / data\tnguồn / source\tđích / target\tSHA-256\tkhớp / match")
	} else {
		fmt.Fprintln(tw, "trung tâm / centre\tdữ liệu / data\tđã chép / copied")
	}
	for _, row := range r.Rows {
		centre := row.Centre
		if centre == "" {
			centre = "(tài khoản / accounts)"
		}
		kind := vietnamese[row.Kind] + " / " + row.Kind
		if !r.Verified {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", centre, kind, row.Count)
			continue
		}
		sum, match := short(row.Sum), "="
		if !row.Matches() {
			sum, match = short(row.Sum)+" ≠ "+short(row.TargetSum), "KHÁC / DIFFERS"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", centre, kind, row.Count, row.Target, sum, match)
	}
	return tw.Flush()
}

// short is the beginning of a checksum, enough to tell two apart.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// centreLine is the progress line of a centre copied.
func centreLine(id string, rows []Row) string {
	n := map[string]int{}
	for _, r := range rows {
		n[r.Kind] = r.Count
	}
	return fmt.Sprintf("trung tâm %s: %d số thứ tự, %d sự kiện, %d lịch hẹn, %d nhật ký thao tác, %d vắng mặt, %d khối số, "+
		"%d tin nhắn, %d thông tin liên lạc, %d webhook / "+
		"centre %s: %d tickets, %d events, %d bookings, %d audit records, %d no-shows, %d number blocks, "+
		"%d messages, %d contacts, %d webhooks",
		id, n[KindTickets], n[KindEvents], n[KindBookings], n[KindAudit], n[KindNoShows], n[KindBlocks], n[KindMessages], n[KindContacts], n[KindWebhooks],
		id, n[KindTickets], n[KindEvents], n[KindBookings], n[KindAudit], n[KindNoShows], n[KindBlocks], n[KindMessages], n[KindContacts], n[KindWebhooks])
}

// accountsLine is the progress line of the accounts copied.
func accountsLine(rows []Row) string {
	var vi, en []string
	for _, r := range rows {
		vi = append(vi, fmt.Sprintf("%d %s", r.Count, vietnamese[r.Kind]))
		en = append(en, fmt.Sprintf("%d %s", r.Count, r.Kind))
	}
	return "tài khoản và thiết bị: " + strings.Join(vi, ", ") + " / accounts and devices: " + strings.Join(en, ", ")
}
