# SAS Ledger. `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := SAS_ENV=development $(BIN)/flask --app wsgi
CATALOG := sas/translations/en/LC_MESSAGES/messages

.PHONY: run test lint format translations extract-messages serve-dev clean

$(STAMP): requirements.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

$(CATALOG).mo: $(CATALOG).po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d sas/translations -D messages

translations: $(CATALOG).mo

# The home-screen icons of the web app manifest (static/icons, committed): sas/icons.py.
.PHONY: icons
icons: $(STAMP)
	$(BIN)/python -m sas.icons

run: $(STAMP) translations
	$(FLASK) db upgrade
	$(FLASK) sas demo --if-empty
	@mkdir -p instance; test -f instance/checkpoint-key.pem || \
		$(FLASK) sas checkpoint-key instance/checkpoint-key.pem
	$(FLASK) sas checkpoint --if-none --out instance/checkpoint-first.json
	@echo "SAS Ledger on http://127.0.0.1:5000 (demo accounts: see README.md)"
	$(FLASK) run --host 127.0.0.1 --port 5000

# Browser tests (tests/browser) drive Debian's Chromium; without it they are skipped.
CHROMIUM ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.browser-installed
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE := .cache/axe-core/axe.min.js
ifneq ($(wildcard $(CHROMIUM)),)
BROWSER_DEPS := $(BROWSER_STAMP) $(AXE)
endif

$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(BIN)/pip install --quiet -r requirements-browser.txt
	touch $(BROWSER_STAMP)

# axe-core from the npm registry, checked against its pinned sha256.
$(AXE):
	mkdir -p $(dir $(AXE))
	curl -fsSL -o $(dir $(AXE))axe-core.tgz \
		https://registry.npmjs.org/axe-core/-/axe-core-$(AXE_VERSION).tgz
	echo "$(AXE_SHA256)  $(dir $(AXE))axe-core.tgz" | sha256sum -c --quiet
	tar -xzf $(dir $(AXE))axe-core.tgz -C $(dir $(AXE)) --strip-components=1 package/axe.min.js
	rm $(dir $(AXE))axe-core.tgz

# The suite on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process); the browser
# journeys stay together on one worker (tests/scheduling.py).
TEST_WORKERS ?= auto
test: $(STAMP) translations $(BROWSER_DEPS)
	@[ -x $(CHROMIUM) ] || echo "*** Browser tests SKIPPED: no Chromium at $(CHROMIUM) (apt-get install chromium)"
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Refresh the committed screenshots of the browser journeys (docs/screenshots).
.PHONY: screenshots
screenshots: $(STAMP) translations $(BROWSER_DEPS)
	rm -rf docs/screenshots
	SAS_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser -q
	# the sweep of every page's width is a check, not a picture of a journey
	rm -f docs/screenshots/no-page-scrolls-sideways-* docs/screenshots/*.pdf

# The district benchmark (bench/README.md): writes bench/RESULTS.md; not part of `make test`.
.PHONY: bench
# SQLite, then PostgreSQL (a database made and dropped there); BENCH_DATABASE_URL= for SQLite only.
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/sas_bench
bench: $(STAMP) translations
	$(BIN)/python bench/district.py $(BENCH_ARGS)
	$(if $(BENCH_DATABASE_URL),$(BIN)/python bench/district.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS))

# Production-like: gunicorn with gunicorn.conf.py, on 127.0.0.1:8000 (GUNICORN_BIND), database
# from DATABASE_URL. Set SECRET_KEY; without it a throwaway key is made, for local use only.
.PHONY: serve load faults phone-bench lighthouse
serve: $(STAMP) translations
	@key="$$SECRET_KEY"; \
	if [ -z "$$key" ]; then \
		echo "*** SECRET_KEY is not set: using a throwaway key, for local use only"; \
		key=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))'); \
	fi; \
	export SAS_ENV=production SECRET_KEY="$$key"; \
	$(BIN)/flask --app wsgi db upgrade && exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Load and fault runs under gunicorn (bench/README.md); they write bench/RESULTS.md's load
# section. `make faults` restarts the local PostgreSQL: never part of `make test`.
# `make load` measures its saturation phases with wrk (apt-get install wrk, done by the bench if
# missing); a ~2 minute smoke run on SQLite:
# LOAD_ARGS='--seconds 10 --phase-seconds 2 --rounds 1 --warmup 1 --sqlite-only'.
load: $(STAMP) translations
	$(BIN)/python bench/load.py $(LOAD_ARGS)

faults: $(STAMP) translations
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)

# Issue 14's phone benchmark (bench/README.md): Chromium as a phone on Slow 3G against gunicorn;
# writes its section of bench/RESULTS.md. E.g. PHONE_ARGS='--root ../baseline --label before'.
phone-bench: $(STAMP) translations $(BROWSER_DEPS)
	$(BIN)/python bench/phone.py $(PHONE_ARGS)

# Lighthouse 12 (mobile) on the demo under gunicorn, and Chromium's installability check
# (bench/README.md); Lighthouse is installed once into .cache/lighthouse (npm, pinned sha512).
# Writes its section of bench/RESULTS.md. E.g. LIGHTHOUSE_ARGS='--runs 1'.
lighthouse: $(STAMP) translations $(BROWSER_DEPS)
	$(BIN)/python bench/lighthouse.py $(LIGHTHOUSE_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing user-facing text: extract, then translate the new English entries.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o sas/translations/messages.pot .
	$(BIN)/pybabel update -i sas/translations/messages.pot -d sas/translations -D messages \
		--no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance/sas.sqlite3*
