# The two set-up commands of the README, and what they stand on.
# Everything the project needs is installed from here, on a fresh Debian machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test check format lint typecheck pytest fonts postgres browser bench clean

demo: $(STAMP) fonts
	$(BIN)/openpesel demo --size 10000

test: $(STAMP) postgres browser lint typecheck pytest

# The fast loop: lint, layers, types and the SQLite-only tests that need no server process,
# browser, PostgreSQL or fault injection (markers in tests/conftest.py). `make test` runs all.
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not postgres and not browser and not fault and not slow and not server"

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) postgres browser
	$(BIN)/pytest

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,biometrics]'
	touch $(STAMP)

# Debian packages: DejaVu for the PDF reports (demo and tests), and PostgreSQL for the
# test run's throw-away server.
define apt_install
	@missing=""; for pair in $(1); do \
		test -e "$${pair%%=*}" || missing="$$missing $${pair#*=}"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

fonts:
	$(call apt_install,/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf=fonts-dejavu-core)

postgres: fonts
	$(call apt_install,$(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/none/bin/initdb)=postgresql)

# The browser tests: Debian's Chromium (driven by Playwright, which downloads no browser
# of its own here) and axe-core from npm, injected into the pages to check accessibility.
browser: node_modules/.package-lock.json
	$(call apt_install,/usr/bin/chromium=chromium)

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null)
	npm ci --no-audit --no-fund --silent

# The quick benchmarks, each printing its anchor from the same run and the ratio; the
# national-scale ones need a large register and are listed with their commands in
# docs/benchmarks*.md.
bench: $(STAMP)
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/validation.py --count 1000000
	$(BIN)/python bench/births.py --births 2000
	$(BIN)/python bench/as_of.py --people 100 --queries 2000 --background 20000
	$(BIN)/python bench/reservation_check.py
	$(BIN)/python bench/fingerprint_cli.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache node_modules artifacts
