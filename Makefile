# The Go kit workshop. Run "make" for the list of targets.
#
# Targets that take step numbers read them as typed: "make step 1",
# "make diff 1 2", "make test-step 3" (or N=1, A=1 B=2).

SHELL := bash
.DEFAULT_GOAL := help

# Read the words after a positional target as its arguments, and make those
# words targets that do nothing.
POSITIONAL := step test-step diff docs-check
ifneq ($(filter $(firstword $(MAKECMDGOALS)),$(POSITIONAL)),)
  ARGS := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
  ifneq ($(ARGS),)
    $(eval $(ARGS):;@:)
  endif
endif

.PHONY: help
help: ## show this list
	@echo "usage: make TARGET"
	@echo
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

.PHONY: step
step: ## make step N: run step N's service in the foreground (Ctrl-C stops it)
	@scripts/step.sh $(or $(N),$(ARGS)) $(FLAGS)

.PHONY: test
test: ## check gofmt, go vet and go test -race in every step; one line per step
	@scripts/test.sh

.PHONY: test-step
test-step: ## make test-step N: the same checks for step N only
	@scripts/test.sh $(or $(N),$(ARGS),missing-step-number)

.PHONY: diff
diff: ## make diff A B: what step B changes in step A (ALL=1: with READMEs and generated code)
	@scripts/diff.sh $(or $(strip $(A) $(B)),$(ARGS)) || [ $$? = 141 ] # 141: the pager quit early

.PHONY: prep
prep: ## download and build everything once, so that the workshop works offline
	@scripts/prep.sh

.PHONY: docs-check
docs-check: ## run every command shown in the READMEs (or step N's) and compare its output
	@scripts/docs-check.sh $(or $(N),$(ARGS))

.PHONY: prometheus
prometheus: ## run Prometheus on 127.0.0.1:9090, scraping the service's /metrics
	@scripts/prometheus.sh

.PHONY: jaeger
jaeger: ## run Jaeger v2 (in memory) on 127.0.0.1: Zipkin on 9411, query API on 16686
	@scripts/jaeger.sh

.PHONY: generate
generate: ## regenerate the gRPC code from each step's .proto (protoc, pinned plugins)
	@scripts/generate.sh

.PHONY: generate-check
generate-check: ## fail if the committed gRPC code is not what make generate writes
	@scripts/generate.sh --check

.PHONY: demo
demo: ## the talk's demo: Prometheus, Jaeger and step 7 with traffic; shows metrics and a trace
	@cd tools && go run ./cmd/demo $(FLAGS)

.PHONY: e2e
e2e: ## the demo without a person: asserts that Prometheus and Jaeger saw the service
	@cd tools && WORKSHOP_E2E=1 go test -v -count=1 -timeout 30m -run '^TestE2E$$' ./cmd/demo
