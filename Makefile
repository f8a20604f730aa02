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

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

demo:
	$(GO) run ./examples/demo

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w .
