#!/usr/bin/env bash
# make test-provisioning: the end-to-end proof of the kiosk install.
#
#  1. debootstrap Debian 12 (minbase + systemd, dbus) from this machine's
#     Debian mirror into a folder (cached as a tarball under
#     ~/.cache/xephang, so a rerun only unpacks it; apt's downloads are
#     cached there too);
#  2. build queue-server and kioskd here, start queue-server on loopback
#     with the demo centre, and get a real one-time enrolment token;
#  3. run install-kiosk.sh in a chroot of the folder (packages from the
#     same mirror, enrolment against that server), then again to show it
#     changes nothing the second time;
#  4. boot the folder with systemd-nspawn (host network: loopback reaches
#     the server) and check from outside, with nsenter, that kioskd reaches
#     READY (active), is online, that the browser-restart path works, and
#     that kioskd is restarted after its watchdog fires (SIGSTOP).
#
# Needs root, debootstrap and systemd-container. Timings are printed at the
# end. KEEP=1 keeps the folder; XEPHANG_MIRROR overrides the mirror.
set -euo pipefail

say() { printf '[%6.1fs] %s\n' "$(elapsed)" "$*"; }
die() {
	say "FAIL: $*" >&2
	exit 1
}
start_ns=$(date +%s%N)
elapsed() { echo "scale=1; ($(date +%s%N) - $start_ns) / 1000000000" | bc; }
now() { date +%s%N; }
secs() { echo "scale=1; ($2 - $1) / 1000000000" | bc; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and systemd-nspawn need it)"
for c in debootstrap systemd-nspawn nsenter curl bc go; do
	command -v "$c" >/dev/null || die "$c missing: apt-get install debootstrap systemd-container curl bc"
done

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/xephang
mkdir -p "$cache/apt-archives/partial"
work=$(mktemp -d /var/tmp/xephang-e2e.XXXXXX)
root=$work/root
port=${XEPHANG_E2E_PORT:-18080}
ct_port=$((port + 1)) # the container's own queue-server (install-server.sh)
declare -A timing

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror=${XEPHANG_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*\(http[^ ]*\/debian\)\/*$/\1/p' | head -n 1)
fi
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -n 's/^deb[[:space:]]\+\(http[^ ]*\/debian\)\/*[[:space:]]\+bookworm[[:space:]].*/\1/p' | head -n 1)
fi
mirror=${mirror:-http://deb.debian.org/debian}
security=${mirror%/debian}/debian-security

server_pid="" nspawn_pid="" leader=""
mounted=()
trap 'say "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
cleanup() {
	set +e
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill "$nspawn_pid" # nspawn asks the container's systemd to power off
		for _ in $(seq 1 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
		# Still there: killing the container's PID 1 ends its whole PID namespace.
		if kill -0 "$nspawn_pid" 2>/dev/null; then
			[ -n "$leader" ] && kill -9 "$leader"
			sleep 1
			kill -9 "$nspawn_pid" 2>/dev/null
		fi
		wait "$nspawn_pid" 2>/dev/null
	fi
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}"; done
	if [ -n "$server_pid" ]; then kill "$server_pid"; wait "$server_pid"; fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $work"
	elif grep -q " $work/" /proc/self/mounts; then
		echo "left $work: something is still mounted under it" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# ── 1. Debian 12 folder ──────────────────────────────────────────────────────
base=$cache/bookworm-minbase-systemd.tar
t0=$(now)
if [ ! -f "$base" ]; then
	say "debootstrap bookworm from $mirror (first run; cached as $base)"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates \
		bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; die "debootstrap"; }
	tar -C "$root" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	timing[debootstrap]=$(secs "$t0" "$(now)")
else
	mkdir -p "$root"
	tar -C "$root" -xf "$base"
	timing[unpack_cached_base]=$(secs "$t0" "$(now)")
fi
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
echo xephang-kiosk-e2e >"$root/etc/hostname"

# ── 2. Binaries and a queue-server with a real token ─────────────────────────
t0=$(now)
mkdir -p "$work/src/bin"
(cd "$src" && go build -o "$work/src/bin/queue-server" ./queue-server && go build -o "$work/src/bin/kioskd" ./kiosk) || die "go build"
cp -r "$src/provisioning" "$src/systemd" "$work/src/"
timing[go_build]=$(secs "$t0" "$(now)")
if curl -s -o /dev/null "http://127.0.0.1:8090/" || curl -s -o /dev/null "http://127.0.0.1:$port/"; then
	die "127.0.0.1:8090 (kioskd) or :$port (queue-server) is taken on this host; the container shares its network"
fi
XEPHANG_ADMIN_PASSWORD=e2e-admin-pass "$work/src/bin/queue-server" -demo -addr "127.0.0.1:$port" -data "$work/server" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
api() { curl -fsS -H 'Content-Type: application/json' "$@"; }
login=$(api -d '{"username":"admin","password":"e2e-admin-pass"}' "http://127.0.0.1:$port/api/v1/login") || die "login"
admin=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$login")
enrol=$(api -H "Authorization: Bearer $admin" -d '{"centre":"hoan-kiem"}' "http://127.0.0.1:$port/api/v1/enrollment-tokens") || die "enrolment token"
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$enrol")
[ -n "$token" ] || die "no token in $enrol"
say "queue-server on 127.0.0.1:$port, enrolment token made"

# ── 3. install-kiosk.sh in a chroot ──────────────────────────────────────────
bind() {
	mkdir -p "$2"
	mount --bind "$1" "$2"
	mounted+=("$2")
}
bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"
bind "$cache/apt-archives" "$root/var/cache/apt/archives"
bind "$work/src" "$root/opt/xephang"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
install_args=(--server "http://127.0.0.1:$port" --name "e2e" --simulate --bin /opt/xephang/bin)
t0=$(now)
say "install-kiosk.sh in the chroot (packages from $mirror)"
chroot "$root" env XEPHANG_ENROLL_TOKEN="$token" /opt/xephang/provisioning/install-kiosk.sh "${install_args[@]}" \
	>"$work/install1.log" 2>&1 || { cat "$work/install1.log"; die "install-kiosk.sh"; }
timing[install_first]=$(secs "$t0" "$(now)")
sed 's/^/    /' "$work/install1.log"
t0=$(now)
chroot "$root" /opt/xephang/provisioning/install-kiosk.sh "${install_args[@]}" >"$work/install2.log" 2>&1 ||
	{ cat "$work/install2.log"; die "install-kiosk.sh, second run"; }
timing[install_again]=$(secs "$t0" "$(now)")
if grep -E 'installed|created|installing' "$work/install2.log"; then
	die "the second run of install-kiosk.sh changed something (above): not idempotent"
fi
say "second run changed nothing: $(tr '\n' ' ' <"$work/install2.log")"
# install-server.sh too, in the same folder: its unit then boots beside kioskd.
echo "e2e-container-admin" >"$work/src/admin-password"
t0=$(now)
for run in 1 2; do
	chroot "$root" /opt/xephang/provisioning/install-server.sh --addr "127.0.0.1:$ct_port" --kiosk-tls-addr "127.0.0.1:$((port + 2))" \
		--admin-password-file /opt/xephang/admin-password --bin /opt/xephang/bin >"$work/server$run.log" 2>&1 ||
		{ cat "$work/server$run.log"; die "install-server.sh, run $run"; }
done
timing[install_server_twice]=$(secs "$t0" "$(now)")
sed 's/^/    /' "$work/server1.log"
if grep -q installed "$work/server2.log"; then
	die "the second run of install-server.sh changed something: not idempotent"
fi
grep -q '^XEPHANG_ADMIN_PASSWORD=e2e-container-admin$' "$root/etc/xephang/queue-server.env" || die "queue-server.env has not the password"
[ "$(stat -c %a "$root/etc/xephang/queue-server.env")" = 600 ] || die "queue-server.env is not mode 0600"
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}"; done
mounted=()
grep -q '"credential"' "$root/var/lib/xephang-kiosk/kiosk.json" || die "no credential after enrolment"

# ── 4. Boot it ───────────────────────────────────────────────────────────────
t0=$(now)
say "booting the folder with systemd-nspawn"
systemd-nspawn --register=no --keep-unit -D "$root" -b >"$work/boot.log" 2>&1 </dev/null &
nspawn_pid=$!
for _ in $(seq 1 100); do
	leader=$(ps --ppid "$nspawn_pid" -o pid= | head -n 1 | tr -d ' ' || true)
	[ -n "$leader" ] && [ "$(readlink "/proc/$leader/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && break
	leader=""
	sleep 0.1
done
[ -n "$leader" ] || { cat "$work/boot.log"; die "no container leader process"; }
in_ct() { nsenter -t "$leader" -a "$@"; }
prop() { in_ct systemctl show -p "$2" --value "$1" 2>/dev/null; }
state=""
for _ in $(seq 1 600); do
	state=$(prop kioskd.service ActiveState || true)
	[ "$state" = active ] && break
	sleep 0.1
done
if [ "$state" != active ]; then
	in_ct systemctl status --no-pager kioskd.service || true
	in_ct journalctl --no-pager -b -u kioskd.service | tail -40 || true
	die "kioskd is $state after 60 s"
fi
timing[boot_to_kioskd_ready]=$(secs "$t0" "$(now)")
say "kioskd active (READY) $(prop kioskd.service MainPID | sed 's/^/pid /') in the container"
online=""
for _ in $(seq 1 100); do
	online=$(curl -fs http://127.0.0.1:8090/api/status || true)
	grep -q '"online":true' <<<"$online" && break
	sleep 0.1
done
grep -q '"online":true' <<<"$online" || die "kioskd is not online with the server: $online"
say "kioskd reports the link online: $(head -c 200 <<<"$online")"

# What systemd said about the units at boot, warnings and worse (informational).
in_ct journalctl --no-pager -b -p warning -u kioskd.service -u queue-server.service -u kiosk-browser.service |
	grep -v -- '-- ' | sed 's/^/    warning: /' || true

# queue-server as install-server.sh left it: active (READY), serving, admin login works.
for _ in $(seq 1 100); do
	[ "$(prop queue-server.service ActiveState)" = active ] && break
	sleep 0.1
done
[ "$(prop queue-server.service ActiveState)" = active ] || {
	in_ct journalctl --no-pager -b -u queue-server.service | tail -20
	die "queue-server in the container is not active"
}
api -d '{"username":"admin","password":"e2e-container-admin"}' "http://127.0.0.1:$ct_port/api/v1/login" >/dev/null ||
	die "admin login on the container's queue-server"
# The kiosks' listener asks for a client certificate: a TCP connect is the check here
# (mutual TLS itself is queue-server/httpapi's TestKioskMutualTLS).
(exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null || die "no kiosk TLS listener on :$((port + 2))"
say "queue-server (install-server.sh) active in the container; admin login works; kiosk TLS listener up"

# No tty1 in a container: the screen's unit is skipped by its condition, not failed.
if [ "$(prop kiosk-browser.service ConditionResult)" != no ] || [ "$(prop kiosk-browser.service ActiveState)" != inactive ]; then
	die "kiosk-browser.service: $(prop kiosk-browser.service ActiveState), condition $(prop kiosk-browser.service ConditionResult)"
fi

# The browser-restart request path, as kioskd will use it: the file written
# by kioskd's user makes the path unit run the restart service.
[ "$(prop kiosk-browser-restart.path ActiveState)" = active ] || die "kiosk-browser-restart.path is not active"
in_ct runuser -u xephang-kiosk -- sh -c 'date > /run/xephang-kiosk/browser-restart'
for _ in $(seq 1 50); do
	[ "$(prop kiosk-browser-restart.service ExecMainExitTimestampMonotonic)" != 0 ] && break
	sleep 0.1
done
res=$(prop kiosk-browser-restart.service Result)
code=$(prop kiosk-browser-restart.service ExecMainStatus)
if [ "$res" != success ] || [ "$code" != 0 ]; then
	in_ct journalctl --no-pager -b -u kiosk-browser-restart.service | tail -20
	die "kiosk-browser-restart.service: result $res, status $code"
fi
say "browser restart request → kiosk-browser-restart.service ran: $res"

# Watchdog: freeze kioskd; systemd must kill it after WatchdogSec and start it again.
before=$(prop kioskd.service NRestarts)
pid=$(prop kioskd.service MainPID)
wd=$(prop kioskd.service WatchdogUSec)
t0=$(now)
in_ct kill -STOP "$pid"
say "SIGSTOP to kioskd (pid $pid in the container, WatchdogSec $wd, NRestarts $before)"
for _ in $(seq 1 1200); do
	n=$(prop kioskd.service NRestarts)
	[ "$n" -gt "$before" ] && [ "$(prop kioskd.service ActiveState)" = active ] && break
	sleep 0.1
done
n=$(prop kioskd.service NRestarts)
[ "$n" -gt "$before" ] || die "kioskd was not restarted within 120 s of SIGSTOP"
[ "$(prop kioskd.service ActiveState)" = active ] || die "kioskd restarted but is not active"
timing[sigstop_to_ready_again]=$(secs "$t0" "$(now)")
say "watchdog fired; kioskd restarted (NRestarts $before → $n), active again (pid $(prop kioskd.service MainPID))"
in_ct journalctl --no-pager -b -u kioskd.service | grep -iE 'watchdog|Scheduled restart|Started' | tail -6 | sed 's/^/    /'

echo
echo "test-provisioning: PASS"
for k in debootstrap unpack_cached_base go_build install_first install_again install_server_twice boot_to_kioskd_ready sigstop_to_ready_again; do
	if [ -n "${timing[$k]:-}" ]; then printf '  %-24s %6ss\n' "$k" "${timing[$k]}"; fi
done
printf '  %-24s %6ss\n' total "$(elapsed)"
