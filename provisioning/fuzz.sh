#!/usr/bin/env bash
# Runs every Go fuzz target of the module for the given time each (default 10s).
set -euo pipefail
dur="${1:-10s}"
cd "$(dirname "$0")/.."
count=0
while IFS= read -r pkg; do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    echo "fuzz: $pkg $t ($dur)"
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$dur" "$pkg"
    count=$((count + 1))
  done
done < <(go list ./...)
echo "fuzz: $count targets passed"
