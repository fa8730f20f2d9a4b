# imagepipe: `make demo` and `make test` are all a fresh machine needs (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The venv is (re)made whenever the lock changes.
VENV_STAMP := $(VENV)/.installed-$(shell cksum requirements/dev.txt | cut -d' ' -f1)
# The browser the browser tests drive: Debian's package (Playwright's own download fails offline).
CHROMIUM := /usr/bin/chromium
# The CDN edge runs the stack's CloudFront Functions under node: Debian's nodejs.
NODE := /usr/bin/node
# The benchmark's contenders go into the same venv, only for `make bench`.
BENCH_STAMP := $(VENV)/.bench-$(shell cksum requirements/bench.txt | cut -d' ' -f1)

.PHONY: demo test lint unit e2e browser chromium node bench up down outputs status lock clean

# STACK=local-instances: the 3-tier stack (the web app on instances behind a load balancer).
STACK_ARG = $(if $(STACK),--stack $(STACK))

demo: $(VENV_STAMP) $(NODE)
	$(PY) -m harness demo $(STACK_ARG)

# Lint and types first: a test run on code that does not pass them does not count.
# The browser tests (tests/browser) need Debian's Chromium, the edge Debian's nodejs: installed here
# when missing.
test: lint $(CHROMIUM) $(NODE)
	$(PY) -m pytest

# Ruff (lint, the complexity limits, format check) over the whole tree; mypy (strict) on handlers/,
# components/ and harness/; the size limits of modules, classes and functions.
lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q tests/unit/test_code_size.py

unit: $(VENV_STAMP) $(NODE)
	$(PY) -m pytest tests/unit

e2e: $(VENV_STAMP) $(NODE)
	$(PY) -m pytest tests/e2e

# Playwright driving Debian's Chromium through the CDN edge; screenshots land in build/screenshots/.
browser: $(VENV_STAMP) $(CHROMIUM) $(NODE)
	$(PY) -m pytest tests/browser

chromium: $(CHROMIUM)

node: $(NODE)

# Kernel (vs pyvips and naive Pillow), cold start, pipeline, API, duplicate lookup and faults-burst
# figures (the faults burst, 500 uploads, takes minutes); ONLY=kernel|formats|coldstart|pipeline|largest|api|duplicates|faults
bench: $(BENCH_STAMP)
	$(PY) -m harness bench $(if $(ONLY),--only $(ONLY))

up: $(VENV_STAMP) $(NODE)
	$(PY) -m harness up $(STACK_ARG) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

down: $(VENV_STAMP)
	$(PY) -m harness down $(STACK_ARG)

outputs: $(VENV_STAMP)
	@$(PY) -m harness outputs $(STACK_ARG)

status: $(VENV_STAMP)
	@$(PY) -m harness status $(STACK_ARG)

$(VENV_STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "imagepipe needs Python 3.11 (the Lambda runtime it targets); $(PYTHON) is %d.%d: run make PYTHON=python3.11" % v)'
	@echo "setting up $(VENV) from requirements/dev.txt (first run: about 2 minutes) …"
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip >$(VENV)/install.log 2>&1 \
		&& $(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt >>$(VENV)/install.log 2>&1 \
		|| { tail -n 20 $(VENV)/install.log; echo "installing the project's dependencies failed; full log: $(VENV)/install.log"; exit 1; }
	@touch $@

$(BENCH_STAMP): requirements/bench.txt $(VENV_STAMP)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/bench.txt >>$(VENV)/install.log 2>&1 \
		|| { tail -n 20 $(VENV)/install.log; echo "installing the benchmark's contenders failed; full log: $(VENV)/install.log"; exit 1; }
	@touch $@

# Debian's packages, once per machine (about a minute): apt-get needs root.
# $(call apt_install,<package>,<what needs it>) makes the rule's target, the program it installs.
define apt_install
	@command -v apt-get >/dev/null 2>&1 || { echo "$(2) need $@ and this machine has no apt-get: install Debian's (or Ubuntu's) $(1) package so that $@ runs it, then run make again"; exit 1; }
	@[ "$$(id -u)" = 0 ] || { echo "$(2) need $@; installing it takes root: run 'sudo apt-get update && sudo apt-get install -y $(1)' (or make $(notdir $@) as root), then run make again"; exit 1; }
	@echo "installing Debian's $(1) for $(2) (first run: about a minute) …"
	@mkdir -p build
	@{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1); } >build/$(1)-install.log 2>&1 \
		|| { tail -n 20 build/$(1)-install.log; echo "installing $(1) with apt-get failed; full log: build/$(1)-install.log"; exit 1; }
	@test -x $@ || { echo "apt-get installed $(1) but $@ is not there; see build/$(1)-install.log"; exit 1; }
endef

$(CHROMIUM):
	$(call apt_install,chromium,the browser tests)

$(NODE):
	$(call apt_install,nodejs,the CDN edge's CloudFront Functions)

# Re-lock requirements/dev.txt from requirements/dev.in (run after changing dev.in).
lock:
	rm -rf /tmp/imagepipe-lock && $(PYTHON) -m venv /tmp/imagepipe-lock
	/tmp/imagepipe-lock/bin/pip install --quiet -r requirements/dev.in
	{ head -n 2 requirements/dev.txt; /tmp/imagepipe-lock/bin/pip freeze; } > requirements/dev.txt.new && mv requirements/dev.txt.new requirements/dev.txt

clean:
	-$(PY) -m harness down
	rm -rf $(VENV) .imagepipe build .pytest_cache .hypothesis .mypy_cache .ruff_cache
