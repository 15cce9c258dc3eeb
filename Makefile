# The Go kit workshop. Run "make" for the list of targets.
#
# Every target is an alias of the workshop command, which works without make
# too (Windows): make step 1 is go run ./tools/cmd/workshop step 1, run from
# the repository's root. Targets read their arguments as typed: "make step 1",
# "make diff 1 2", "make test 3" (or N=1, A=1 B=2).
#
# For GNU make 3.81 (macOS) and /bin/sh: no bash, nothing newer than 3.81.

.DEFAULT_GOAL := help

# Silent: no recipe echoed, and no "'1' is up to date" for make diff 1 1.
MAKEFLAGS += -s

# The repository's root, where go run finds ./tools/cmd/workshop.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
WORKSHOP = cd "$(ROOT)" && go run ./tools/cmd/workshop

# The words after a target that takes arguments are its arguments: make them
# targets that do nothing. A word with a colon can't be a target; it comes
# from an unquoted FLAGS=-http-addr 127.0.0.1:9000, which the workshop
# command explains before make gets to it.
POSITIONAL := step test test-step diff docs-check start check hint solution catchup status watch run bench load images demo
ifneq ($(filter $(firstword $(MAKECMDGOALS)),$(POSITIONAL)),)
  ARGS := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
  ARGTARGETS := $(foreach a,$(ARGS),$(if $(findstring :,$(a)),,$(a)))
  ifneq ($(strip $(ARGTARGETS)),)
    $(eval $(sort $(ARGTARGETS)):;@:)
  endif
endif

.PHONY: help
help: ## show this list
	@echo "usage: make TARGET [ARGUMENTS]   (without make: go run ./tools/cmd/workshop help)"
	@echo
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-15s %s\n", $$1, $$2}'

.PHONY: step
step: ## make step N: run step N's service in the foreground (Ctrl-C stops it; FLAGS="...")
	@$(WORKSHOP) step $(or $(N),$(ARGS)) $(FLAGS)

.PHONY: test
test: ## gofmt, go vet and go test -race in every step and tools/ (make test N: step N only)
	@$(WORKSHOP) test $(or $(N),$(ARGS))

.PHONY: test-step
test-step: ## make test-step N: the same checks for step N only
	@if [ -z "$(strip $(or $(N),$(ARGS)))" ]; then \
		echo "usage: make test-step N   (for example: make test-step 1)" >&2; exit 2; fi
	@$(WORKSHOP) test $(or $(N),$(ARGS))

.PHONY: diff
diff: ## make diff A B: what step B changes in step A (ALL=1: with READMEs and generated code)
	@$(WORKSHOP) diff $(or $(strip $(A) $(B)),$(ARGS))

.PHONY: prep
prep: ## download and build everything once, so that the workshop works offline
	@$(WORKSHOP) prep

.PHONY: docs-check
docs-check: ## run every command shown in the READMEs (or step N's) and compare its output
	@$(WORKSHOP) docs-check $(or $(N),$(ARGS))

.PHONY: generate
generate: ## regenerate the gRPC code from each step's .proto (protoc, pinned plugins)
	@$(WORKSHOP) generate

.PHONY: generate-check
generate-check: ## fail if the committed gRPC code is not what make generate writes
	@$(WORKSHOP) generate -check

# The exercises (the workshop command's exercise engine).

.PHONY: start
start: ## make start N: your copy of step N in work/, with its exercises cut out (FORCE=1)
	@$(WORKSHOP) start $(or $(N),$(ARGS))

.PHONY: check
check: ## check the current exercise (make check ID: that one)
	@$(WORKSHOP) check $(ARGS)

.PHONY: hint
hint: ## the next hint of the current exercise
	@$(WORKSHOP) hint $(ARGS)

.PHONY: solution
solution: ## the current exercise's reference code, as a diff against yours
	@$(WORKSHOP) solution $(ARGS)

.PHONY: catchup
catchup: ## make catchup N: replace your copy with the finished step N (keeps a backup)
	@$(WORKSHOP) catchup $(or $(N),$(ARGS))

.PHONY: status
status: ## every exercise, done or not, and the current one
	@$(WORKSHOP) status $(ARGS)

.PHONY: watch
watch: ## check the current exercise again on every save
	@$(WORKSHOP) watch $(ARGS)

.PHONY: run
run: ## run your copy's service, as make step runs a step's (FLAGS="...")
	@$(WORKSHOP) run $(ARGS) $(FLAGS)

# What the onion costs (SHORT=1: the short run CI makes).

.PHONY: bench
bench: ## Go benchmarks of every step (make bench N...): ns/op and allocations per path, ratio to step 1
	@$(WORKSHOP) bench $(ARGS)

.PHONY: load
load: ## each step's real binary under load (make load N...): req/s and p50/p99, HTTP and gRPC; EXAMPLE=path: go-kit's addsvc too
	@$(WORKSHOP) load $(if $(EXAMPLE),-example "$(abspath $(EXAMPLE))") $(ARGS)

# The talk's demo and its components.

.PHONY: prometheus
prometheus: ## run Prometheus on 127.0.0.1:9090, scraping the service's /metrics
	@$(WORKSHOP) prometheus

.PHONY: jaeger
jaeger: ## run Jaeger v2 (in memory) on 127.0.0.1: Zipkin on 9411, query API on 16686
	@$(WORKSHOP) jaeger

.PHONY: images
images: ## make images [N]: one container image per binary of step N (default 9), FROM scratch, non-root
	@$(WORKSHOP) images $(or $(N),$(ARGS))

.PHONY: demo
demo: ## the talk's demo: Prometheus, Jaeger and step 7 with traffic (make demo 9: replicas, balancing, one stopped)
	@cd "$(ROOT)/tools" && go run ./cmd/demo $(FLAGS) $(ARGS)

.PHONY: e2e
e2e: ## the demos (steps 7 and 9) without a person: asserts what Prometheus, Jaeger and the load saw
	@cd "$(ROOT)/tools" && WORKSHOP_E2E=1 go test -v -count=1 -timeout 30m -run '^TestE2E(Step9)?$$' ./cmd/demo
