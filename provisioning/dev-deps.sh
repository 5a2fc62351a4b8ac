#!/usr/bin/env bash
# Installs the Debian packages that `make run` and `make test` need, only the
# ones missing, so a second run costs a dpkg query and nothing else.
# Usage: provisioning/dev-deps.sh run|test|provisioning
set -euo pipefail

run_pkgs=(
  ca-certificates curl    # curl: run-demo.sh waits for readiness
  fonts-dejavu-core       # Vietnamese glyphs for rendered tickets and PDFs
  sane-utils libsane1     # scanimage and SANE's test backend (simulated scanner)
  tesseract-ocr tesseract-ocr-vie libtesseract-dev libleptonica-dev  # OCR pre-check (gosseract is cgo)
  espeak-ng sox           # spoken calls of the hall display, generated at build time
)
test_pkgs=(
  "${run_pkgs[@]}"
  chromium                # headless browser tests of the pages (chromedp)
  poppler-utils           # pdftotext, pdftoppm: PDFs are checked by their extracted text
  systemd                 # systemd-analyze verify/security on the unit files
  shellcheck              # lint of every shell script
)

prov_pkgs=(
  debootstrap systemd-container  # make test-provisioning: Debian 12 in a folder, booted with nspawn
  curl bc
)

case "${1:-test}" in
  run) want=("${run_pkgs[@]}") ;;
  test) want=("${test_pkgs[@]}") ;;
  provisioning) want=("${prov_pkgs[@]}") ;;
  *) echo "usage: $0 run|test|provisioning" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "dev-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
