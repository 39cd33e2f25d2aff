# The two set-up commands of the README, and what they stand on.
# Everything the project needs is installed from here, on a fresh Debian machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck pytest fonts postgres browser bench clean

demo: $(STAMP) fonts
	$(BIN)/openpesel demo --size 10000

test: $(STAMP) postgres browser lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

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

bench: $(STAMP)
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/reservation_check.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache node_modules artifacts
