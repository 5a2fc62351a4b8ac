#!/usr/bin/env bash
# Installs the Debian packages that `make run` and `make test` need, only the
# ones missing, so a second run costs a dpkg query and nothing else.
# Usage: provisioning/dev-deps.sh run|run-postgres|test|provisioning
# `test` also puts axe-core (the accessibility engine the Chromium tests run
# in every page) into ~/.cache/xephang, once per pinned version.
set -euo pipefail

# AXE_VERSION is pinned: a new axe release may add rules, which should fail
# a commit that updates it, not an unrelated one. ui/a11y_test.go reads the
# same number.
AXE_VERSION=4.14.1

run_pkgs=(
  ca-certificates curl    # curl: run-demo.sh waits for readiness
  fonts-dejavu-core       # Vietnamese glyphs for rendered tickets and PDFs
  sane-utils libsane1     # scanimage and SANE's test backend (simulated scanner)
  tesseract-ocr tesseract-ocr-vie libtesseract-dev libleptonica-dev  # OCR pre-check (gosseract is cgo)
  espeak-ng sox           # spoken calls of the hall display, generated at build time
  cups-ipp-utils dbus-daemon  # ippeveprinter: an IPP printer for the A4 printer (kioskd printer test -a4); it needs a D-Bus bus
  libpcsclite-dev         # the CCCD chip reader: kioskd talks PC/SC through libpcsclite (cgo)
  libopenjp2-7-dev        # JPEG 2000 face images on the chip, decoded with OpenJPEG (cgo)
)
test_pkgs=(
  "${run_pkgs[@]}"
  chromium                # headless browser tests of the pages (chromedp)
  poppler-utils           # pdftotext, pdftoppm: PDFs are checked by their extracted text
  systemd                 # systemd-analyze verify/security on the unit files
  shellcheck              # lint of every shell script
  postgresql              # the PostgreSQL store's tests: throwaway clusters (queue-server/testsrv)
  haproxy                 # the load balancer in front of two queue-servers in tests
  procps                  # pgrep: the tests kill a cluster's backends with its postmaster
  pcscd vsmartcard-vpcd   # the chip reader's tests: Debian's PC/SC daemon with a virtual reader
  python3-virtualsmartcard python3-pycryptodome  # ...and a third-party ICAO card (vicc's ePass) behind it
  libopenjp2-tools        # opj_compress: JPEG 2000 test faces made by OpenJPEG's own encoder
  openssl                 # openssl cms: EF.SOD signatures cross-checked with a CMS implementation we did not write
)
# npm fetches axe-core; a machine with Node.js from elsewhere (NodeSource)
# already has it, and Debian's npm package would conflict with that.
if ! command -v npm >/dev/null; then test_pkgs+=(npm); fi

run_pg_pkgs=(
  "${run_pkgs[@]}"
  postgresql haproxy      # make run-postgres: a local cluster, two instances behind a load balancer
)
prov_pkgs=(
  debootstrap systemd-container  # make test-provisioning: Debian 12 in a folder, booted with nspawn
  curl bc
)

case "${1:-test}" in
  run) want=("${run_pkgs[@]}") ;;
  run-postgres) want=("${run_pg_pkgs[@]}") ;;
  test) want=("${test_pkgs[@]}") ;;
  provisioning) want=("${prov_pkgs[@]}") ;;
  *) echo "usage: $0 run|run-postgres|test|provisioning" >&2; exit 2 ;;
esac

# axe installs axe-core from the npm registry into the user's cache, unless
# that version is there already.
axe() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/xephang/axe-core-$AXE_VERSION"
  if [ -f "$dir/node_modules/axe-core/axe.min.js" ]; then
    return 0
  fi
  echo "dev-deps: installing axe-core@$AXE_VERSION into $dir" >&2
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --no-save --prefix "$dir" "axe-core@$AXE_VERSION" >/dev/null
}

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "dev-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-test}" = test ]; then
  axe
fi
