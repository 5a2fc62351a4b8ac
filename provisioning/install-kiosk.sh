#!/usr/bin/env bash
# Installs (or updates) a Xếp Hàng kiosk on Debian 12: packages, groups,
# users, udev rules, kioskd and the screen's units, /etc/xephang/kioskd.env,
# then enrols the kiosk with a one-time token and starts it.
#
# Idempotent: run it again with the same arguments to repair or update a
# kiosk (new binaries, new units, changed settings); an enrolled kiosk is not
# enrolled again unless --reenroll is given with a new token.
#
#   sudo provisioning/install-kiosk.sh --server https://hang.example.gov.vn:8443 \
#        --token TOKEN --printer usblp:/dev/xephang-printer \
#        --reader serial:/dev/xephang-idreader --scanner sane
#
# The token comes from the admin page or POST /api/v1/enrollment-tokens; it
# can also be given in XEPHANG_ENROLL_TOKEN (kept out of the process list).
# Binaries come from --bin DIR (default: bin/ beside provisioning/, as built
# by `make build`), units and udev rules from the same source tree.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: install-kiosk.sh --server URL [--token T] [options]
  --server URL          queue-server URL for enrolment and the link (required)
  --token T             one-time enrolment token (or XEPHANG_ENROLL_TOKEN)
  --name NAME           this kiosk's name as the admin sees it (default: host name)
  --printer SPEC        usblp:/dev/xephang-printer | serial:/dev/xephang-printer?baud=115200 | tcp:HOST:9100
  --profile NAME        printer profile (kioskd printer test -list), e.g. epson-cp1258
  --reader SPEC         serial:/dev/xephang-idreader
  --scanner SPEC        sane[:DEVICE] | escl:URL | folder:DIR
  --chip-reader NAME    the CCCD chip reader through pcscd: its PC/SC name (or a part of it), or auto
  --csca DIR            issuers' CSCA certificates chips are checked against (default /etc/xephang/csca)
  --a4-printer URL      the A4 printer of the forms: ipp://HOST[:PORT]/PATH | ipps://…
  --a4-printer-ca FILE  PEM certificate an ipps:// A4 printer is trusted with (copied to /etc/xephang/a4-printer.pem)
  --public-url URL      base of the tracking QR code printed on tickets
  --simulate            simulate every device (demo kiosk, tests)
  --printer-usb V:P     another printer model for /dev/xephang-printer (repeatable)
  --idreader-usb V:P    another reader model for /dev/xephang-idreader (repeatable)
  --bin DIR             where kioskd is (default: ../bin from this script)
  --no-packages         do not run apt-get (packages already there)
  --no-browser          no screen: skip Chromium, cage and kiosk-browser.service
  --reenroll            enrol again with a new token, replacing the credential
  --no-start            install and enrol, but do not start or restart anything
EOF
}

die() {
	echo "install-kiosk: $*" >&2
	exit 1
}
say() { echo "install-kiosk: $*"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
bin="$src/bin"
server="" token="${XEPHANG_ENROLL_TOKEN:-}" name="" printer="" profile="" reader="" scanner="" a4_printer="" a4_ca=""
chip_reader="" csca=""
public_url="" simulate=0 packages=1 browser=1 reenroll=0 start=1
printer_ids=() reader_ids=()

need_arg() {
	if [ "$#" -lt 2 ] || [ -z "$2" ]; then
		die "$1 needs a value"
	fi
}
while [ "$#" -gt 0 ]; do
	case "$1" in
	--server) need_arg "$@"; server=$2; shift ;;
	--token) need_arg "$@"; token=$2; shift ;;
	--name) need_arg "$@"; name=$2; shift ;;
	--printer) need_arg "$@"; printer=$2; shift ;;
	--profile) need_arg "$@"; profile=$2; shift ;;
	--reader) need_arg "$@"; reader=$2; shift ;;
	--scanner) need_arg "$@"; scanner=$2; shift ;;
	--chip-reader) need_arg "$@"; chip_reader=$2; shift ;;
	--csca) need_arg "$@"; csca=$2; shift ;;
	--a4-printer) need_arg "$@"; a4_printer=$2; shift ;;
	--a4-printer-ca) need_arg "$@"; a4_ca=$2; shift ;;
	--public-url) need_arg "$@"; public_url=$2; shift ;;
	--printer-usb) need_arg "$@"; printer_ids+=("$2"); shift ;;
	--idreader-usb) need_arg "$@"; reader_ids+=("$2"); shift ;;
	--bin) need_arg "$@"; bin=$2; shift ;;
	--simulate) simulate=1 ;;
	--no-packages) packages=0 ;;
	--no-browser) browser=0 ;;
	--reenroll) reenroll=1 ;;
	--no-start) start=0 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument $1" ;;
	esac
	shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
[ -n "$server" ] || { usage >&2; die "--server is required"; }
case "$server" in http://* | https://*) ;; *) die "--server $server: want http(s)://HOST[:PORT]" ;; esac
for id in "${printer_ids[@]}" "${reader_ids[@]}"; do
	[[ $id =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]] || die "USB id $id: want VVVV:PPPP (hex, as lsusb prints it)"
done
[ -x "$bin/kioskd" ] || die "no kioskd in $bin: build it (make build) or pass --bin DIR"
for f in systemd/kioskd.service provisioning/udev/99-xephang.rules provisioning/polkit/60-xephang-pcscd.rules; do
	[ -f "$src/$f" ] || die "$src/$f missing: run this script from the source tree or release"
done
if ! grep -q '^VERSION_ID="12"' /etc/os-release 2>/dev/null; then
	say "warning: this is not Debian 12; continuing"
fi

state=/var/lib/xephang-kiosk
etc=/etc/xephang
units=/etc/systemd/system
changed_units=0

# installs SRC as DEST with MODE when the content differs; true when it did.
put() {
	local srcf=$1 dest=$2 mode=$3
	if [ -f "$dest" ] && cmp -s "$srcf" "$dest"; then
		return 1
	fi
	install -D -m "$mode" "$srcf" "$dest"
	say "installed $dest"
}

# writes stdin to DEST with MODE (root-owned) when the content differs.
put_text() {
	local dest=$1 mode=$2 tmp
	tmp=$(mktemp)
	cat >"$tmp"
	if put "$tmp" "$dest" "$mode"; then
		rm -f "$tmp"
		return 0
	fi
	rm -f "$tmp"
	return 1
}

# ── 1. Packages ──────────────────────────────────────────────────────────────
pkgs=(
	ca-certificates                   # https to queue-server
	dbus libpam-systemd               # logind session for the screen; systemctl from the path unit
	udev                              # stable device names (99-xephang.rules)
	fonts-dejavu-core fonts-noto-core # Vietnamese diacritics on screen and in rendered tickets
	sane-utils                        # document scanners (scanimage, SANE backends)
	tesseract-ocr tesseract-ocr-vie   # dossier pre-check OCR (kioskd links libtesseract)
	pcscd libccid libpcsclite1        # the CCCD chip reader: PC/SC daemon, USB CCID driver (kioskd links libpcsclite)
	libopenjp2-7                      # JPEG 2000 faces on the chip (kioskd links OpenJPEG)
)
if [ "$browser" -eq 1 ]; then
	pkgs+=(chromium cage)
	# The touchscreen's voice guidance: Chromium's speechSynthesis speaks
	# through speech-dispatcher with espeak-ng's Vietnamese voice.
	pkgs+=(speech-dispatcher speech-dispatcher-espeak-ng)
fi
if [ "$packages" -eq 1 ]; then
	missing=()
	for p in "${pkgs[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing+=("$p")
		fi
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
fi

# ── 2. Groups and users ──────────────────────────────────────────────────────
# A group named in SupplementaryGroups= that does not exist stops the unit
# from starting (status 216/GROUP), so every one is made here.
for g in dialout lp scanner video render input audio; do
	getent group "$g" >/dev/null || { groupadd --system "$g"; say "created group $g"; }
done
for u in xephang-kiosk xephang-browser; do
	if ! getent passwd "$u" >/dev/null; then
		useradd --system --user-group --home-dir "/var/lib/$u" --no-create-home --shell /usr/sbin/nologin "$u"
		say "created user $u"
	fi
done

# ── 3. udev rules ────────────────────────────────────────────────────────────
udev_changed=0
put "$src/provisioning/udev/99-xephang.rules" /etc/udev/rules.d/99-xephang.rules 0644 && udev_changed=1
site=/etc/udev/rules.d/98-xephang-site.rules
if [ "${#printer_ids[@]}" -gt 0 ] || [ "${#reader_ids[@]}" -gt 0 ]; then
	{
		echo "# Written by install-kiosk.sh: this site's device models (see 99-xephang.rules)."
		for id in "${printer_ids[@]}"; do
			v=${id%%:*} p=${id##*:}
			echo "SUBSYSTEM==\"usbmisc\", KERNEL==\"lp[0-9]*\", ATTRS{idVendor}==\"${v,,}\", ATTRS{idProduct}==\"${p,,}\", SYMLINK+=\"xephang-printer\", GROUP=\"lp\", MODE=\"0660\", TAG+=\"systemd\""
			echo "SUBSYSTEM==\"tty\", KERNEL==\"ttyACM[0-9]*|ttyUSB[0-9]*\", ATTRS{idVendor}==\"${v,,}\", ATTRS{idProduct}==\"${p,,}\", SYMLINK+=\"xephang-printer\", GROUP=\"dialout\", MODE=\"0660\", ENV{ID_MM_DEVICE_IGNORE}=\"1\", TAG+=\"systemd\""
		done
		for id in "${reader_ids[@]}"; do
			v=${id%%:*} p=${id##*:}
			echo "SUBSYSTEM==\"tty\", KERNEL==\"ttyACM[0-9]*|ttyUSB[0-9]*\", ATTRS{idVendor}==\"${v,,}\", ATTRS{idProduct}==\"${p,,}\", SYMLINK+=\"xephang-idreader\", GROUP=\"dialout\", MODE=\"0660\", ENV{ID_MM_DEVICE_IGNORE}=\"1\", TAG+=\"systemd\""
		done
	} | put_text "$site" 0644 && udev_changed=1
elif [ -f "$site" ]; then
	rm -f "$site"
	udev_changed=1
	say "removed $site"
fi
if [ "$udev_changed" -eq 1 ] && [ -d /run/udev ] && command -v udevadm >/dev/null; then
	udevadm control --reload || true
	udevadm trigger --action=change --subsystem-match=tty --subsystem-match=usbmisc || true
fi

# pcscd with polkit lets only local sessions at the readers: kioskd's user is
# allowed by name (provisioning/polkit/60-xephang-pcscd.rules).
put "$src/provisioning/polkit/60-xephang-pcscd.rules" /etc/polkit-1/rules.d/60-xephang-pcscd.rules 0644 || true

# ── 4. Binary, units, PAM ────────────────────────────────────────────────────
bin_changed=0
put "$bin/kioskd" /usr/local/bin/kioskd 0755 && bin_changed=1
kiosk_units=(kioskd.service)
if [ "$browser" -eq 1 ]; then
	kiosk_units+=(kiosk-browser.service kiosk-browser-restart.path kiosk-browser-restart.service)
fi
for u in "${kiosk_units[@]}"; do
	put "$src/systemd/$u" "$units/$u" 0644 && changed_units=1
done
if [ "$browser" -eq 1 ]; then
	# The screen's session: account checks and a logind session (pam_systemd),
	# no password (it is started by systemd, never by a person).
	put_text /etc/pam.d/kiosk-browser 0644 <<'EOF' || true
# Written by install-kiosk.sh: the kiosk screen's session (kiosk-browser.service).
account  required pam_unix.so
session  required pam_unix.so
session  required pam_systemd.so
EOF
fi

# ── 5. Configuration ─────────────────────────────────────────────────────────
install -d -m 0755 "$etc"
if [ -n "$a4_ca" ]; then
	[ -r "$a4_ca" ] || die "--a4-printer-ca $a4_ca: not readable"
	install -m 0644 "$a4_ca" "$etc/a4-printer.pem"
fi
env_changed=0
{
	echo "# Written by install-kiosk.sh; run it again to change (hand edits are replaced)."
	echo "XEPHANG_SERVER=$server"
	[ -n "$printer" ] && echo "XEPHANG_KIOSK_PRINTER=$printer"
	[ -n "$profile" ] && echo "XEPHANG_KIOSK_PROFILE=$profile"
	[ -n "$reader" ] && echo "XEPHANG_KIOSK_READER=$reader"
	[ -n "$scanner" ] && echo "XEPHANG_KIOSK_SCANNER=$scanner"
	[ -n "$chip_reader" ] && echo "XEPHANG_KIOSK_CHIP_READER=$chip_reader"
	[ -n "$csca" ] && echo "XEPHANG_KIOSK_CSCA=$csca"
	[ -n "$a4_printer" ] && echo "XEPHANG_KIOSK_A4_PRINTER=$a4_printer"
	[ -n "$a4_ca" ] && echo "XEPHANG_KIOSK_A4_PRINTER_CA=$etc/a4-printer.pem"
	[ -n "$public_url" ] && echo "XEPHANG_PUBLIC_URL=$public_url"
	[ "$simulate" -eq 1 ] && echo "XEPHANG_KIOSK_SIMULATE=1"
	# kioskd asks for a screen restart by touching this file, which
	# kiosk-browser-restart.path turns into a restart of the browser: no
	# privilege, no polkit rule.
	if [ "$browser" -eq 1 ]; then
		echo "XEPHANG_BROWSER_RESTART=touch /run/xephang-kiosk/browser-restart"
	else
		echo "XEPHANG_BROWSER_RESTART=off"
	fi
} | put_text "$etc/kioskd.env" 0644 && env_changed=1

# ── 6. Data directory and enrolment ──────────────────────────────────────────
# Owned by kioskd's user from the start, so systemd's StateDirectory= finds
# it right and enrolment (run as that user) writes a credential kioskd reads.
install -d -m 0700 -o xephang-kiosk -g xephang-kiosk "$state"
if [ -f "$state/kiosk.json" ] && [ "$reenroll" -eq 0 ]; then
	say "already enrolled ($state/kiosk.json); --reenroll with a new token to replace it"
else
	[ -n "$token" ] || die "not enrolled: give --token T (or XEPHANG_ENROLL_TOKEN) from the admin"
	args=(enroll -server "$server" -token "$token" -data "$state")
	[ -n "$name" ] && args+=(-name "$name")
	[ "$reenroll" -eq 1 ] && args+=(-force)
	runuser -u xephang-kiosk -- /usr/local/bin/kioskd "${args[@]}" || die "enrolment failed (see above); nothing else was changed by it"
fi

# ── 7. Enable and (re)start ──────────────────────────────────────────────────
enable=(kioskd.service)
if [ "$browser" -eq 1 ]; then
	enable+=(kiosk-browser-restart.path kiosk-browser.service)
	systemctl set-default graphical.target >/dev/null 2>&1 || true
fi
systemctl enable "${enable[@]}" >/dev/null 2>&1 || systemctl enable "${enable[@]}"
if [ ! -d /run/systemd/system ]; then
	say "systemd is not running here (chroot or image build): enabled, starts at boot"
	exit 0
fi
systemctl daemon-reload
if [ "$start" -eq 0 ]; then
	say "installed; not started (--no-start)"
	exit 0
fi
if [ "$bin_changed" -eq 1 ] || [ "$changed_units" -eq 1 ] || [ "$env_changed" -eq 1 ] || ! systemctl -q is-active kioskd.service; then
	systemctl restart kioskd.service
fi
if [ "$browser" -eq 1 ]; then
	systemctl start kiosk-browser-restart.path
	if [ "$changed_units" -eq 1 ]; then
		systemctl try-restart kiosk-browser.service
	fi
	systemctl start kiosk-browser.service # skipped by its condition where there is no tty1
fi
systemctl -q is-active kioskd.service || die "kioskd did not start: journalctl -u kioskd"
say "kioskd is running; screen on tty1; logs: journalctl -u kioskd -u kiosk-browser"
