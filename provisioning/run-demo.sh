#!/usr/bin/env bash
# make run: starts queue-server with the demo centre on ./data and prints the
# URLs. Stops everything it started on Ctrl-C.
set -euo pipefail
bin="$1" data="$2" addr="$3"
export XEPHANG_ADMIN_PASSWORD="${XEPHANG_ADMIN_PASSWORD:-admin12345}"
mkdir -p "$data"
"$bin/queue-server" -demo -addr "$addr" -data "$data/server" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 50); do
  if curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
cat <<MSG

  Xếp Hàng demo is running (Ctrl-C to stop)
  ─────────────────────────────────────────
  Booking page       http://$addr/
  Counter console    http://$addr/counter/     (canbo1 … canbo5 / demo12345)
  Hall display       http://$addr/display/?centre=hoan-kiem
  Admin              http://$addr/admin/       (admin / $XEPHANG_ADMIN_PASSWORD)
  Queue (JSON)       http://$addr/api/v1/centres/hoan-kiem/queue
  Metrics            http://$addr/metrics
  Data               $data

MSG
wait "$server"
