# Xếp Hàng — the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
DATA ?= ./data
ADDR ?= 127.0.0.1:8080
BIN := bin

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run run-postgres deps-run-postgres test test-provisioning deps-provisioning bench bench-drivers bench-kiosk bench-precheck bench-reports fuzz build audio deps-run deps-test vet fmt-check clean

deps-run:
	@bash provisioning/dev-deps.sh run

deps-test:
	@bash provisioning/dev-deps.sh test

deps-provisioning:
	@bash provisioning/dev-deps.sh provisioning

# Spoken calls of the hall display: clips made with espeak-ng, embedded in
# the binary when present (generated, not committed).
audio:
	@bash ui/audio/generate.sh

build: audio
	$(GO) build -o $(BIN)/ ./queue-server
	$(GO) build -o $(BIN)/kioskd ./kiosk

# Starts queue-server with the demo centre on an embedded bbolt store, and a
# kiosk enrolled to it with simulated devices.
run: deps-run build
	@bash provisioning/run-demo.sh "$(BIN)" "$(DATA)" "$(ADDR)"

deps-run-postgres:
	@bash provisioning/dev-deps.sh run-postgres

# A province's shape on one machine: a PostgreSQL cluster in $(DATA)/pg, two
# queue-server instances on it with the demo centre, haproxy in front on $(ADDR).
run-postgres: deps-run-postgres build
	@bash provisioning/run-postgres.sh "$(BIN)" "$(DATA)" "$(ADDR)"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The whole suite, race detector on, plus a short run of every fuzz target
# (3 s each: 60 targets, their kept inputs first; `make fuzz` runs each for
# 2 minutes). The whole takes about 13 minutes on 2 cores.
test: deps-test audio fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...
	@bash provisioning/fuzz.sh 3s

fuzz:
	@bash provisioning/fuzz.sh 2m

# Debian 12 in a container: install-kiosk.sh and install-server.sh in a
# chroot, boot it with systemd-nspawn, kioskd READY against a queue-server
# on the host, restarted by its watchdog. Needs root; about 3.5 min the first
# time, about 1 min with the cache in ~/.cache/xephang.
test-provisioning: deps-provisioning build
	$(SUDO) bash provisioning/test-provisioning.sh

# The queue server's benchmarks (issues 2, 3, 14 and 17; about 18 minutes), written
# into docs/benchmarks.md. The others have their own targets and documents.
bench: deps-test audio
	@bash provisioning/bench.sh

bench-drivers: deps-test
	$(GO) test -run '^$$' -bench . -benchtime 1x ./drivers/...

bench-kiosk: deps-test
	$(GO) test -run '^$$' -bench . ./kiosk/...

bench-precheck: deps-test
	@bash provisioning/bench-precheck.sh

bench-reports: deps-test
	$(GO) test -run '^$$' -bench BenchmarkMonthReport -benchtime 3x ./queue-server/report/

# The forecast backtest of issue 22 (four generated centres, 25 weekly
# forecasts each, the staffing plans checked by simulation; about a minute
# on 2 cores) and the time of Fit + Forecast + MakePlan for one centre; the
# numbers go in docs/benchmarks.md.
.PHONY: bench-forecast
bench-forecast:
	$(GO) run ./queue-server/forecast/backtest/benchforecast
	$(GO) test -run '^$$' -bench BenchmarkFitForecastPlan -benchtime 10x ./queue-server/forecast/backtest/

clean:
	rm -rf $(BIN)
