# distill: build, demo, tests, benchmarks. The DuckDB Arrow API needs the
# duckdb_arrow build tag on every go build, test and vet.
GO      ?= go
TAGS    := -tags duckdb_arrow
PYTHON  ?= python3
VENV    := .venv
# The LoRA trainer's own venv: torch from PyPI is large (CUDA wheels on Linux).
TVENV   := .venv-trainer
SHARED  ?= $(abspath ../shared)
BIN     := bin/distill

.PHONY: build demo readme test test-go test-python test-trainer lint fuzz bench bench-scale bench-curation venv trainer-venv engine-jars clean

build:
	$(GO) build $(TAGS) -o $(BIN) ./cmd/distill

# The README's first command: the whole job, offline, on a generated sample.
demo: build
	./$(BIN) demo

# Rewrite the outputs of README.md's console blocks from what the commands
# print now (TestREADME_Tour runs them in order and checks them in make test).
readme:
	DISTILL_SHARED=$(SHARED) $(GO) test $(TAGS) -count=1 -run '^TestREADME_Tour$$' ./cmd/distill -update

# The README's second command: everything CI runs.
test: lint test-go test-python test-trainer

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(TAGS) ./...
	$(GO) vet ./lake/
	$(GO) build -o /dev/null ./cmd/distill

# The second line is the path of a plain `go build` (no duckdb_arrow tag):
# query results become Arrow batches row by row, compared with DuckDB's own.
test-go:
	DISTILL_SHARED=$(SHARED) $(GO) test $(TAGS) -count=1 ./...
	$(GO) test -count=1 -run 'TestArrowRows|TestSession_WriteQuery' ./lake/

# Fuzz every parser (each func Fuzz... in a _test.go file, found by name so
# a new target is never left out) for FUZZTIME, one after another. test-go
# already replays the seed corpora and the crashers kept in
# <package>/testdata/fuzz/<FuzzName>/.
FUZZTIME ?= 20s
# Minimizing each new input may otherwise take up to 60 s of FUZZTIME.
FUZZMINTIME ?= 5s
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" as -fuzztime ends, on a starved machine, having found nothing
# (golang/go#75804, fixed in Go 1.27; CI hit it once on FuzzLoad, 0 execs/s).
# Such a run, with no failing input written and no panic, is run once more;
# any other failure, or that one twice, fails.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for f in $$(git ls-files '*_test.go' | xargs grep -l '^func Fuzz'); do \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			for try in 1 2; do \
				echo "fuzz $$name in ./$$(dirname $$f) for $(FUZZTIME)"; \
				if DISTILL_SHARED=$(SHARED) $(GO) test $(TAGS) -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./$$(dirname $$f)/ > $$log 2>&1; then \
					cat $$log; break; fi; \
				cat $$log; \
				if [ $$try = 1 ] && grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written\|panic:' $$log; then \
					echo "fuzz $$name: the Go 1.26 deadline race (golang/go#75804), nothing found: once more"; continue; fi; \
				exit 1; \
			done; \
		done; \
	done

$(VENV)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r tests/requirements.txt
	touch $@

venv: $(VENV)/.installed

# -rfEs also prints why a test module skipped (tests/engines without Java, pyspark or
# the jars; .ci/run sets DISTILL_ENGINES_REQUIRED=1 so there they fail instead).
test-python: build venv
	DISTILL_SHARED=$(SHARED) DISTILL_BIN=$(abspath $(BIN)) $(VENV)/bin/python -m pytest -q -rfEs tests

# The two jars Spark needs in tests/engines (Iceberg's Spark runtime and the
# SQLite JDBC driver), fetched with mvn into ~/.cache/distill-engines
# (DISTILL_ENGINES_CACHE); the tests fetch them too when they are missing.
engine-jars: venv
	$(VENV)/bin/python tests/engines/enginelib.py fetch

$(TVENV)/.installed: trainer/requirements.txt trainer/requirements-test.txt trainer/pyproject.toml
	$(PYTHON) -m venv $(TVENV)
	$(TVENV)/bin/pip install --quiet --upgrade pip
	$(TVENV)/bin/pip install --quiet -r trainer/requirements-test.txt
	$(TVENV)/bin/pip install --quiet --no-deps -e trainer
	touch $@

trainer-venv: $(TVENV)/.installed

# The trainer's own tests (tiny models built from configs, on CPU), then the
# Go side of the lora backend through it.
test-trainer: trainer-venv
	cd trainer && ../$(TVENV)/bin/python -m pytest -q tests
	DISTILL_SHARED=$(SHARED) DISTILL_PYTHON=$(abspath $(TVENV))/bin/python $(GO) test $(TAGS) -count=1 -run 'TestLoRA|TestTrainer|TestRun_SentenceEncoder|TestEmbed_SentenceEncoder' ./stages/train/ ./stages/cv/ ./students/encode/ ./stages/embed/ ./stages/score/ ./students/bundle/ ./cmd/distill/

# Ingest throughput against DuckDB on the real ai-tech sample (unzipped), and
# the Go benchmarks.
bench: build
	@mkdir -p /tmp/distill-bench
	gzip -dc $(SHARED)/corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz > /tmp/distill-bench/ai-tech.jsonl
	./$(BIN) bench ingest --file /tmp/distill-bench/ai-tech.jsonl --runs 5
	DISTILL_SHARED=$(SHARED) CURATION_ROWS=100000 $(GO) test -p 1 $(TAGS) -run '^$$' -bench . ./...

# stats, split and a tier query on a generated lake of 1,000,000 labels.
bench-curation:
	CURATION_ROWS=1000000 $(GO) test $(TAGS) -run '^$$' -bench BenchmarkCuration -benchtime 1x -timeout 30m ./stages/split/

# Streaming at scale: a generated 1.5 GB JSONL, time and peak memory.
bench-scale: build
	./$(BIN) bench ingest --generate-mb 1500 --runs 1

clean:
	rm -rf bin demo $(VENV) $(TVENV)
