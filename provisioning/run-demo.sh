#!/usr/bin/env bash
# make run: starts queue-server with the demo centre on ./data, a kiosk
# enrolled to it with simulated devices, and prints the URLs. Stops
# everything it started on Ctrl-C.
set -euo pipefail
bin="$1" data="$2" addr="$3"
export XEPHANG_ADMIN_PASSWORD="${XEPHANG_ADMIN_PASSWORD:-admin12345}"
mkdir -p "$data"
# Notifications simulated: each message a citizen would get (ZNS, SMS,
# e-mail, push) is written to the server's log, phone and address masked.
printf '{"simulate": true, "public_url": "http://%s"}\n' "$addr" >"$data/notify.json"
"$bin/queue-server" -demo -demo-history 365 -addr "$addr" -data "$data/server" -notify-config "$data/notify.json" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" "$kiosk" 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  if curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://$addr/readyz" >/dev/null || { echo "run-demo: queue-server did not become ready" >&2; exit 1; }

# The kiosk: enrolled once with a one-time token, then run with simulators.
kaddr="${KIOSK_ADDR:-127.0.0.1:8090}"
token() { sed -E 's/.*"token":"([^"]+)".*/\1/'; }
if [ ! -f "$data/kiosk/kiosk.json" ]; then
  admin=$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$XEPHANG_ADMIN_PASSWORD\"}" "http://$addr/api/v1/login" | token)
  enrol=$(curl -fsS -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"centre":"hoan-kiem"}' "http://$addr/api/v1/enrollment-tokens" | token)
  "$bin/kioskd" enroll -server "http://$addr" -token "$enrol" -data "$data/kiosk" -name "Ki-ốt demo"
fi
"$bin/kioskd" -server "http://$addr" -addr "$kaddr" -data "$data/kiosk" -simulate &
kiosk=$!
trap 'kill "$kiosk" "$server" 2>/dev/null; wait "$kiosk" "$server" 2>/dev/null' EXIT INT TERM
cat <<MSG

  Xếp Hàng demo is running (Ctrl-C to stop)
  ─────────────────────────────────────────
  Kiosk touchscreen  http://$kaddr/        (simulated devices; printed tickets in $data/kiosk/sim/printer,
                                            A4 forms in $data/kiosk/sim/a4)
  Booking page       http://$addr/
  Counter console    http://$addr/counter/     (canbo1 … canbo5 / demo12345)
  Hall display       http://$addr/display/?centre=hoan-kiem
  Rating screen      http://$addr/counter/rate.html?centre=hoan-kiem&counter=1   (paired once by a clerk)
  Admin              http://$addr/admin/       (admin / $XEPHANG_ADMIN_PASSWORD)
  Forecast and plan  http://$addr/admin/forecast.html   (learnt from a generated year of history)
  Same-day number    http://$addr/?online=1    (notifications simulated: written to this log)
  Queue (JSON)       http://$addr/api/v1/centres/hoan-kiem/queue
  Metrics            http://$addr/metrics
  Data               $data

MSG
wait "$server" "$kiosk"
