# Continuum: make test (short, CI), make test-long (everything, with -race), make bench, make demo, make lint.
GO ?= go
PKGS := ./...

.PHONY: test test-long bench demo lint fmt

test:
	$(GO) vet $(PKGS)
	$(GO) test -short -count=1 -timeout 20m $(PKGS)

test-long:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 90m $(PKGS)
	$(GO) test -race -short -count=1 -timeout 60m $(PKGS)

# The reference configurations of BENCHMARKS.md (N1, N2, N3, S1, S2), 5 runs each with GOMAXPROCS 1
# and 2 (the reference figures are the best of their thread settings; so are ours), then one
# table of medians against the PyTorch figures. The 5 runs are 5 rounds over all the
# benchmarks, so that a slow spell of the machine (a shared VM's speed drifts by 10-30% for
# a minute at a time) costs every configuration one run rather than one configuration all
# of its runs. BENCH=. runs every benchmark instead.
BENCH ?= '^Benchmark(N1|N2|N3|S2|S1BrownianInterval(Forward|Reverse)|S1BrownianTree|S1NormalBaseline(Parallel)?)$$'
bench:
	rm -f bench.out
	for round in 1 2 3 4 5; do \
		$(GO) test -run '^$$' -bench $(BENCH) -benchmem -cpu 1,2 -count 1 -timeout 90m $(PKGS) | tee -a bench.out || exit 1; \
	done
	$(GO) run ./internal/benchtable < bench.out

demo:
	$(GO) run ./examples/cnf2d

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w .
