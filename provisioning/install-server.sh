#!/usr/bin/env bash
# Installs (or updates) a Xếp Hàng queue-server on Debian 12: the binary, the
# hardened unit, /etc/xephang/queue-server.env (admin password, addresses,
# the kiosks' mutual-TLS listener), then starts it and waits until it serves.
#
# Idempotent: run it again to update the binary or change a setting; the
# admin password is kept unless a new one is given.
#
#   sudo provisioning/install-server.sh --addr 127.0.0.1:8080 \
#        --kiosk-tls-addr :8443 --tls-hosts hang.example.gov.vn,10.0.0.5
#
# The unit runs as a DynamicUser (no account to manage); its data is
# /var/lib/xephang (bbolt store, and the CA in /var/lib/xephang/ca: back
# it up, the kiosks' certificates chain to it).
set -euo pipefail

usage() {
	cat <<'EOF'
usage: install-server.sh [options]
  --addr HOST:PORT          HTTP listener (default 127.0.0.1:8080, behind a TLS reverse proxy)
  --kiosk-tls-addr ADDR     the kiosks' mutual-TLS listener, e.g. :8443 (default: none)
  --tls-hosts H1,H2         names and addresses in that listener's certificate
  --trusted-proxies CIDRS   reverse proxies whose X-Forwarded-For names the client,
                            e.g. 127.0.0.1/32 for a proxy on this host (default: none)
  --admin-password-file F   the admin password, first line of F (or XEPHANG_ADMIN_PASSWORD;
                            default: keep the current one, or make one and print it once)
  --demo                    load the demo centre into an empty store
  --log-level LEVEL         debug, info, warn, error
  --bin DIR                 where queue-server is (default: ../bin from this script)
  --no-start                install, but do not start or restart
EOF
}

die() {
	echo "install-server: $*" >&2
	exit 1
}
say() { echo "install-server: $*"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
bin="$src/bin"
addr="127.0.0.1:8080" kiosk_addr="" tls_hosts="" trusted_proxies="" password="${XEPHANG_ADMIN_PASSWORD:-}" demo=0 log_level="" start=1

need_arg() {
	if [ "$#" -lt 2 ] || [ -z "$2" ]; then
		die "$1 needs a value"
	fi
}
while [ "$#" -gt 0 ]; do
	case "$1" in
	--addr) need_arg "$@"; addr=$2; shift ;;
	--kiosk-tls-addr) need_arg "$@"; kiosk_addr=$2; shift ;;
	--tls-hosts) need_arg "$@"; tls_hosts=$2; shift ;;
	--trusted-proxies) need_arg "$@"; trusted_proxies=$2; shift ;;
	--admin-password-file)
		need_arg "$@"
		[ -r "$2" ] || die "cannot read $2"
		IFS= read -r password <"$2" || true
		shift
		;;
	--demo) demo=1 ;;
	--log-level) need_arg "$@"; log_level=$2; shift ;;
	--bin) need_arg "$@"; bin=$2; shift ;;
	--no-start) start=0 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument $1" ;;
	esac
	shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
[ -x "$bin/queue-server" ] || die "no queue-server in $bin: build it (make build) or pass --bin DIR"
[ -f "$src/systemd/queue-server.service" ] || die "$src/systemd/queue-server.service missing"
if [ -n "$password" ] && [ "${#password}" -lt 10 ]; then
	die "the admin password needs at least 10 characters"
fi

envf=/etc/xephang/queue-server.env
changed=0

# put SRC DEST MODE: install when the content differs; true when it did.
put() {
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		return 1
	fi
	install -D -m "$3" "$1" "$2"
	say "installed $2"
}

put "$bin/queue-server" /usr/local/bin/queue-server 0755 && changed=1
put "$src/systemd/queue-server.service" /etc/systemd/system/queue-server.service 0644 && changed=1

# Keep the current password unless a new one is given; make one the first time.
generated=""
if [ -z "$password" ] && [ -f "$envf" ]; then
	password=$(sed -n 's/^XEPHANG_ADMIN_PASSWORD=//p' "$envf" | tail -n 1)
fi
if [ -z "$password" ]; then
	password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	generated=$password
fi
case "$password" in *[[:space:]\"\'\\]*) die "the admin password may not hold spaces, quotes or backslashes" ;; esac

# Root-only: it holds the admin password (systemd reads it before dropping privileges).
install -d -m 0755 /etc/xephang
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	echo "# Written by install-server.sh; run it again to change (hand edits are replaced)."
	echo "XEPHANG_ADDR=$addr"
	echo "XEPHANG_ADMIN_PASSWORD=$password"
	[ -n "$kiosk_addr" ] && echo "XEPHANG_KIOSK_TLS_ADDR=$kiosk_addr"
	[ -n "$tls_hosts" ] && echo "XEPHANG_TLS_HOSTS=$tls_hosts"
	[ -n "$trusted_proxies" ] && echo "XEPHANG_TRUSTED_PROXIES=$trusted_proxies"
	[ "$demo" -eq 1 ] && echo "XEPHANG_DEMO=1"
	[ -n "$log_level" ] && echo "XEPHANG_LOG_LEVEL=$log_level"
	true
} >"$tmp"
put "$tmp" "$envf" 0600 && changed=1

systemctl enable queue-server.service >/dev/null 2>&1 || systemctl enable queue-server.service
if [ -n "$generated" ]; then
	say "admin password (shown once, kept in $envf): $generated"
fi
if [ ! -d /run/systemd/system ]; then
	say "systemd is not running here (chroot or image build): enabled, starts at boot"
	exit 0
fi
systemctl daemon-reload
if [ "$start" -eq 0 ]; then
	say "installed; not started (--no-start)"
	exit 0
fi
if [ "$changed" -eq 1 ] || ! systemctl -q is-active queue-server.service; then
	# Type=notify: restart returns once the store is open and it listens.
	systemctl restart queue-server.service || die "queue-server did not start: journalctl -u queue-server"
fi
say "queue-server is running on $addr${kiosk_addr:+, kiosks (mutual TLS) on $kiosk_addr}; logs: journalctl -u queue-server"
