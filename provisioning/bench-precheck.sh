#!/bin/sh
# bench-precheck.sh — the full evaluation of the dossier pre-check
# (kiosk/precheck): generates a fresh test set of filled forms at 300 and
# 150 dpi, straight and skewed+noisy, runs the real pipeline (Tesseract,
# Vietnamese) on it and prints markdown tables: classification accuracy,
# field exact-match rates, seconds per page against the bare tesseract
# command on the same images, pages per minute with 2 workers, memory after
# MEM_PAGES pages. Paste the output into docs/benchmarks-precheck.md.
#
#   provisioning/bench-precheck.sh            # 2 dossiers per procedure and condition, 500 pages for memory
#   DOSSIERS=5 MEM_PAGES=0 provisioning/bench-precheck.sh
#
# Needs tesseract-ocr, tesseract-ocr-vie, libtesseract-dev (provisioning/dev-deps.sh).
set -eu
cd "$(dirname "$0")/.."
DOSSIERS=${DOSSIERS:-2}
MEM_PAGES=${MEM_PAGES:-500}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/gen" ./kiosk/precheck/gen
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(tesseract --version 2>&1 | head -1), $(date -u +%Y-%m-%d)"
echo
# Single-threaded Tesseract, as kioskd runs it (libgomp reads this at start).
OMP_THREAD_LIMIT=1 "$out/gen" -eval -out "$out" -dossiers "$DOSSIERS" -mem-pages "$MEM_PAGES"
