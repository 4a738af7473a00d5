# make bench: the load scenarios of docs/performance.md against a regbridge
# started on loopback, then the Go micro-benchmarks. Results go to $(BENCH_OUT)/.
GO ?= go
BENCH_OUT ?= bench-results
BENCH_FLAGS ?= --duration 10s --workers 64

.PHONY: bench bench-smoke bench-wrk

bench:
	mkdir -p $(BENCH_OUT)
	$(GO) build -o $(BENCH_OUT)/regbridge ./cmd/regbridge
	$(GO) build -o $(BENCH_OUT)/regbridge-bench ./cmd/regbridge-bench
	$(BENCH_OUT)/regbridge-bench --spawn $(BENCH_OUT)/regbridge --suite $(BENCH_FLAGS) --json $(BENCH_OUT)/load.json | tee $(BENCH_OUT)/load.md
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./bridge ./bridge/signing ./acl | tee $(BENCH_OUT)/micro.txt

# make bench-wrk: the wrk 4.1 table (-t2 -c16/-c64, the net/http floor and
# one signature in the same run; needs wrk on the PATH).
bench-wrk:
	mkdir -p $(BENCH_OUT)
	$(GO) build -o $(BENCH_OUT)/regbridge ./cmd/regbridge
	$(GO) build -o $(BENCH_OUT)/regbridge-bench ./cmd/regbridge-bench
	$(BENCH_OUT)/regbridge-bench --spawn $(BENCH_OUT)/regbridge --driver wrk --suite --duration 15s --json $(BENCH_OUT)/wrk.json | tee $(BENCH_OUT)/wrk.md

bench-smoke:
	mkdir -p $(BENCH_OUT)
	$(GO) build -o $(BENCH_OUT)/regbridge ./cmd/regbridge
	$(GO) run ./cmd/regbridge-bench --spawn $(BENCH_OUT)/regbridge --suite --smoke --json $(BENCH_OUT)/smoke.json

# make credential-helper: installs docker-credential-regbridge into $(go env GOBIN).
.PHONY: credential-helper
credential-helper:
	$(GO) install ./cmd/docker-credential-regbridge
