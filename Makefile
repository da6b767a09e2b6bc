# 矛盾纠纷排查化解平台 — setup, run, test.  See README.md.
#   make run    set up everything and serve the portal with demo data on http://127.0.0.1:8000
#   make test   set up everything (plus test tools) and run the whole test suite
#   make bench  run the benchmarks (bench/README.md)
#   make i18n   extract msgids and update the Simplified Chinese catalog (zh_Hans_CN)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
FLASK  := $(BIN)/flask --app wsgi

SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-hanazono fontconfig
TEST_SYSTEM_PACKAGES := chromium poppler-utils libreoffice-calc-nogui

.PHONY: run test setup setup-test system-deps system-deps-test db translations bench bench-quick clean i18n

run: setup
	$(FLASK) seed-demo --if-empty
	$(BIN)/gunicorn --workers $(WORKERS) --threads 4 --bind $(HOST):$(PORT) --max-requests 500 --max-requests-jitter 100 \
		--access-logfile - wsgi:app

test: setup-test
	$(BIN)/pytest
	$(MAKE) --no-print-directory bench-quick

setup: system-deps $(VENV)/.installed translations db

setup-test: system-deps-test $(VENV)/.installed-test translations

system-deps:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed / 需要 Python 3.11 或更高版本")'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/ensure-system-packages.sh python3-venv
	@scripts/ensure-system-packages.sh $(SYSTEM_PACKAGES)

system-deps-test: system-deps
	@scripts/ensure-system-packages.sh $(TEST_SYSTEM_PACKAGES)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d portal/translations

db: $(VENV)/.installed
	$(FLASK) db upgrade

bench: setup-test
	@scripts/ensure-system-packages.sh wrk
	$(BIN)/python -m bench

bench-quick: setup-test
	@scripts/ensure-system-packages.sh wrk
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .pytest_cache

# Translations: collect every msgid into messages.pot and merge it into the Simplified Chinese catalog (then
# translate the new entries in portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po; tests/test_i18n.py
# fails while one is missing).
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations -l zh_Hans_CN --no-fuzzy-matching
