#!/usr/bin/env bash
# Runs the queue server's benchmarks (make bench: issues 2, 3, 14, 17 and 18) and writes their tables into
# docs/benchmarks.md between the "bench:begin" and "bench:end" markers,
# keeping the hand-written analysis around them.
#
#   ROUNDS=3 ISSUE_DURATION=10s FLOOR_DURATION=5s DISPLAYS=1000 CALLS=200 SEEDS=20 bash provisioning/bench.sh
#
# Everything listens on 127.0.0.1 only. About 18 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-3}"
ISSUE_DURATION="${ISSUE_DURATION:-10s}"
FLOOR_DURATION="${FLOOR_DURATION:-5s}"
DISPLAYS="${DISPLAYS:-1000}"
CALLS="${CALLS:-200}"
SEEDS="${SEEDS:-20}"
DOC=docs/benchmarks.md

work=$(mktemp -d "${TMPDIR:-/tmp}/xephang-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "bench: building" >&2
go build -o "$work/bin/" ./queue-server ./queue-server/loadtest
lt=("$work/bin/loadtest" -server "$work/bin/queue-server" -dir "$work")

out="$work/results.md"
{
  echo "Run of $(date +%F) by \`make bench\` (provisioning/bench.sh)."
  echo
  echo "| machine | |"
  echo "| --- | --- |"
  echo "| nproc | $(nproc) |"
  echo "| CPU | $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1) |"
  echo "| memory | $(free -m | awk '/^Mem:/ {print $2 " MiB"}') |"
  echo "| go | $(go version) |"
  echo "| kernel | $(uname -sr) |"
  echo "| data disk | $(df -T "$work" | awk 'NR==2 {print $2 " on " $1}') (floors and servers use fresh files there) |"
  echo "| open files | $(ulimit -Hn) (hard limit; the tool raises its soft limit to it) |"
  echo
} >"$out"

printf '## 1. Tickets issued per second\n\n%s rounds, each measuring every floor and the server afresh (ratios are within a round).\n\n' "$ROUNDS" >>"$out"
for r in $(seq 1 "$ROUNDS"); do
  echo "bench: issue round $r/$ROUNDS" >&2
  {
    echo "### Round $r of $ROUNDS"
    echo
    "${lt[@]}" -scenario issue -duration "$ISSUE_DURATION" -floor-duration "$FLOOR_DURATION" -clients 1,64 |
      sed -e 's/^### /#### /' -e 's/^## .*//'
  } >>"$out"
done
{
  echo "bench: WebSocket displays" >&2
  "${lt[@]}" -scenario ws -displays "$DISPLAYS" -calls "$CALLS"
  echo "bench: wait simulation" >&2
  "${lt[@]}" -scenario wait -seeds "$SEEDS"
  echo "bench: bookings" >&2
  printf '## 4. Bookings\n\n'
  "${lt[@]}" -scenario booking -duration "$ISSUE_DURATION" -clients 1,64
  echo "bench: CPU per ticket" >&2
  cat <<'TEXT'
## 5. CPU per ticket (Go benchmarks, fsync off)

What a ticket costs in CPU when the disk does not hide it: the store's commit of an issued ticket (with `Live.Issue`) against a bare one-key `Update`, and the whole handler, all with bbolt's `NoSync`.

```
TEXT
  go test -run '^$' -bench 'CPU$' -benchtime 20000x -count 3 ./queue-server/bolt ./queue-server/httpapi | grep '^Benchmark'
  printf '```\n\n'
  echo "bench: event replay attack" >&2
  printf '## 6. Event replay attack (issue 14)\n\n'
  "${lt[@]}" -scenario replay -duration "$ISSUE_DURATION" | sed -e 's/^### /#### /'
  echo "bench: proof of work" >&2
  cat <<'TEXT'
## 7. Proof of work: what a booking costs (issue 14)

A native solver (`SolveChallenge`, as a tuned script) per booking at the base difficulty, and the booking page's solver in headless Chromium.

```
TEXT
  go test -run '^$' -bench 'SolveChallenge$' -benchtime 64x ./queue-server/httpapi | grep '^Benchmark'
  go test -run '^$' -bench 'PowSolverChromium$' -benchtime 3x ./ui | grep '^Benchmark'
  printf '```\n\n'
  echo "bench: PostgreSQL and several instances" >&2
  cat <<'TEXT'
## 8. PostgreSQL and several instances (issue 17)

Durable tickets per second and p99 over HTTP (staff clients, `POST …/tickets`), PostgreSQL with fsync and `synchronous_commit` on, on this same machine with the servers, haproxy and the clients: `bbolt` one instance on its file (the baseline of the same run), `pg1` one instance on PostgreSQL, `pg2` two instances behind haproxy round robin (every round of each contends with the other's for the same centres), `pg2-by-centre` the same balanced by centre as the README advises. Clients spread over 8 centres (a province) or all on one; three runs, each starting every server afresh. `tickets/commit` is how many requests shared a commit (from the instances' metrics).

```
TEXT
  go test -run '^$' -bench 'BenchmarkClusterIssue/.*/.*/clients=64$' -benchtime 30000x -count 3 ./queue-server | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkClusterIssue/.*/.*/clients=1$' -benchtime 3000x -count 1 ./queue-server | grep '^Benchmark'
  printf '```\n\nA call on one instance to its event at %s WebSocket displays connected to the other (from before the call'"'"'s request to each display'"'"'s receipt), %s calls; then the primary killed with SIGKILL under load and its synchronous standby promoted: seconds from the death (and from the promotion) to the first ticket acknowledged again.\n\n```\n' "1000" "200"
  go test -run '^$' -bench 'BenchmarkClusterEventDelay$' -benchtime 200x ./queue-server | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkClusterFailover$' -benchtime 3x ./queue-server | grep '^Benchmark'
  cat <<'TEXT'
```

The store alone (`pgstore`, fsync on): one ticket per commit, and a round of 32 tickets over 8 centres.

```
TEXT
  go test -run '^$' -bench 'BenchmarkCommitTicket$|BenchmarkRoundTicket$|BenchmarkCommitRound32$' -benchtime 2000x ./queue-server/pgstore | grep '^Benchmark'
  printf '```\n\n'
  echo "bench: the outbox in each store" >&2
  cat <<'TEXT'
## 9. The outbox in each store (issue 18)

A sender's work on the store, durable (fsync on): claim 100 due messages (bbolt: one transaction over the due index; PostgreSQL: one `UPDATE … FOR UPDATE SKIP LOCKED`) and record them sent (one transaction, one statement); the commit that wrote them is not timed. Then what the outbox adds to a commit: bbolt's round of 25 tickets alone and with a webhook delivery for each (fsync off; CPU and pages written), and PostgreSQL's one ticket per commit alone and with a contact and its "issued" message (`Notified`; bbolt's CPU of the same is `BenchmarkCommitIssuedNotifiedCPU` in section 5).

```
TEXT
  go test -run '^$' -bench 'BenchmarkOutboxClaimSave$' -benchtime 500x ./queue-server/bolt ./queue-server/pgstore | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkCommitRound25' -benchtime 2000x -count 3 ./queue-server/bolt | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkCommitTicket$|BenchmarkCommitTicketNotified$' -benchtime 2000x -count 3 ./queue-server/pgstore | grep '^Benchmark'
  printf '```\n\n'
  echo "bench: notifications end to end" >&2
  "${lt[@]}" -scenario notify -duration "$ISSUE_DURATION" -clients 64 | sed -e 's/^### /#### /'
  cat <<'TEXT'
A simulated day through the real binary with the gateways' file pointing at a loopback Zalo ZNS (`BenchmarkNotifyDay`): 200 numbers, 60 of them online numbers asking for a phone message, the five counters calling until no one waits; the delay from each call's acknowledgement to the gateway's receipt of its "called" message (the issue's target: p99 ≤ 2 s). Then the dispatcher alone (`notify.BenchmarkDispatch`, an in-memory outbox to the loopback ZNS) and a same-day number with notifications through the handler (`BenchmarkOnlineTicketHandlerCPU`, 2,000 waiting, fsync off) against a plain ticket.

```
TEXT
  go test -run '^$' -bench 'BenchmarkNotifyDay$' -benchtime 3x ./queue-server | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkDispatch$' -benchtime 5000x -count 3 ./queue-server/notify | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkOnlineTicketHandlerCPU$|BenchmarkIssueHandlerCPU$' -benchtime 2000x -count 3 ./queue-server/httpapi | grep '^Benchmark'
  printf '```\n\n'
  echo "bench: forms and dossiers" >&2
  cat <<'TEXT'
## 11. Forms and dossiers (issue 19)

A citizen's tờ khai checked (`forms.BenchmarkValidate`, what each live check of a field costs the server or kioskd) and rendered as its official PDF (`forms.BenchmarkPDF`, the birth registration filled whole; DejaVu embedded), then one 1 MB digitised document kept durably in each store (`BenchmarkPutDocument1MB`, each a new ticket's first, its limits read in the same transaction). What digitising adds to the kiosk's pre-check of a page is measured by `make bench-kiosk` (docs/benchmarks-kiosk.md).

```
TEXT
  go test -run '^$' -bench 'BenchmarkValidate$|BenchmarkPDF$' -benchmem -count 3 ./queue-server/forms | grep '^Benchmark'
  go test -run '^$' -bench 'BenchmarkPutDocument1MB$' -benchtime 200x -count 3 ./queue-server/bolt ./queue-server/pgstore | grep '^Benchmark'
  printf '```\n\n'
  echo "bench: procedure guidance" >&2
  cat <<'TEXT'
## 12. Procedure guidance (issue 20)

The answer to a question typed at the kiosk or sent to the public API (`procedures.BenchmarkAsk`: every question of `queue-server/procedures/testdata/questions-*.tsv` answered and timed, the 99th percentile of one answer; target < 20 ms).

```
TEXT
  go test -run '^$' -bench 'BenchmarkAsk$' -benchtime 20x -count 3 ./queue-server/procedures | grep '^Benchmark'
  printf '```\n\n'
} >>"$out"

# Put the results between the markers of the document (created if absent).
if [ ! -f "$DOC" ] || ! grep -q '<!-- bench:begin -->' "$DOC"; then
  {
    echo "# Benchmarks"
    echo
    echo "<!-- bench:begin -->"
    echo "<!-- bench:end -->"
  } >"$DOC"
fi
awk -v res="$out" '
  /<!-- bench:begin -->/ { print; while ((getline line < res) > 0) print line; skip = 1; next }
  /<!-- bench:end -->/   { skip = 0 }
  !skip { print }
' "$DOC" >"$work/doc.md"
mv "$work/doc.md" "$DOC"
cat "$out"
echo "bench: wrote $DOC" >&2
