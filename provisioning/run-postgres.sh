#!/usr/bin/env bash
# make run-postgres: a province's shape on one machine. A local PostgreSQL
# cluster in DATA/pg (on 127.0.0.1:PGPORT), two queue-server instances on it
# with the demo centre, haproxy in front of them on ADDR (health checks on
# /readyz), and the URLs. Stops everything it started on Ctrl-C; the
# cluster's data stays in DATA/pg for the next run.
set -euo pipefail
bin="$1" data="$2" addr="$3"
pgport="${PGPORT:-5433}"
export XEPHANG_ADMIN_PASSWORD="${XEPHANG_ADMIN_PASSWORD:-admin12345}"
mkdir -p "$data"
data="$(cd "$data" && pwd)"
pgbin="$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -1)"

# PostgreSQL refuses to run as root: as root its programs run as postgres,
# in a directory that user owns.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$data/pg/PG_VERSION" ]; then
  mkdir -p "$data/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data/pg"; chmod 700 "$data/pg"; fi
  echo "run-postgres: creating a PostgreSQL cluster in $data/pg" >&2
  (cd / && as_pg "$pgbin/initdb" -D "$data/pg" -U xephang --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null)
  cat >>"$data/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = ''
max_connections = 200
CONF
fi
(cd / && as_pg "$pgbin/pg_ctl" start -D "$data/pg" -l "$data/pg/server.log" -w -t 60 >/dev/null)
pids=()
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  (cd / && as_pg "$pgbin/pg_ctl" stop -D "$data/pg" -m fast -w >/dev/null 2>&1) || true
}
trap stop EXIT INT TERM
db="postgres://xephang@127.0.0.1:$pgport/xephang?sslmode=disable"
psql -X -q -h 127.0.0.1 -p "$pgport" -U xephang -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='xephang'" | grep -q 1 ||
  psql -X -q -h 127.0.0.1 -p "$pgport" -U xephang -d postgres -c "CREATE DATABASE xephang"

printf '{"simulate": true, "public_url": "http://%s"}\n' "$addr" >"$data/notify.json"
# Two instances on one database; they share the data directory's key file
# and kiosk CA (made by the first, read by the second).
host="${addr%:*}"
ports=(8081 8082)
for i in 0 1; do
  "$bin/queue-server" -demo -demo-history 365 -addr "$host:${ports[$i]}" -data "$data/server-pg" -database "$db" \
    -trusted-proxies 127.0.0.1/32 -notify-config "$data/notify.json" &
  pids+=($!)
  for _ in $(seq 1 100); do
    if curl -fsS "http://$host:${ports[$i]}/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  curl -fsS "http://$host:${ports[$i]}/readyz" >/dev/null || { echo "run-postgres: instance $((i+1)) did not become ready" >&2; exit 1; }
done
cat >"$data/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option redispatch
    retries 2
frontend www
    bind $addr
    option forwardfor
    default_backend queue
backend queue
    balance uri depth 4
    hash-type consistent
    option httpchk GET /readyz
    http-check expect status 200
    server qs1 $host:${ports[0]} check inter 1s fall 2 rise 2
    server qs2 $host:${ports[1]} check inter 1s fall 2 rise 2
CFG
haproxy -db -f "$data/haproxy.cfg" &
pids+=($!)
cat <<MSG

  Xếp Hàng on PostgreSQL is running (Ctrl-C to stop)
  ──────────────────────────────────────────────────
  Load balancer      http://$addr/          (haproxy, by centre over both instances)
  Instance 1         http://$host:${ports[0]}/
  Instance 2         http://$host:${ports[1]}/
  Counter console    http://$addr/counter/     (canbo1 … canbo5 / demo12345)
  Hall display       http://$addr/display/?centre=hoan-kiem
  Admin              http://$addr/admin/       (admin / $XEPHANG_ADMIN_PASSWORD)
  Database           $db   (cluster in $data/pg)
  Migrations         $bin/queue-server migrate-status -database '$db'

MSG
wait "${pids[@]}"
