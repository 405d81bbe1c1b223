# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
WEB_PORT ?= 8000
export WEB_PORT

.PHONY: run test lint migrations-check prod-check state-machine bench bench-staleness bench-api mutation install install-dev chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The browser test drives Debian's Chromium (Playwright cannot download a browser here). Installed
# when missing and possible; without it that one test is skipped (and fails in CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then APT="apt-get"; elif command -v sudo >/dev/null 2>&1; then APT="sudo apt-get"; fi; \
	  if [ -n "$$APT" ]; then \
	    echo "Installing Chromium for the browser test"; \
	    $$APT install -y -q chromium >/dev/null || { $$APT update -q >/dev/null && $$APT install -y -q chromium >/dev/null; } \
	      || echo "Could not install Chromium; the browser test will be skipped."; \
	  else echo "Chromium is missing and cannot be installed here; the browser test will be skipped."; fi; }

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A development run on the zero-set-up default (SQLite and the filesystem broker under var/),
# with DEBUG on unless the environment says otherwise. Ctrl-C, or SIGINT or SIGTERM sent to make
# alone, stops all three processes (scripts/dev_supervisor.py says how).
run: export DEBUG ?= 1
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "  Admin (board members, editors-in-chief):  http://127.0.0.1:$(WEB_PORT)/admin/"
	@echo "  API docs:                                 http://127.0.0.1:$(WEB_PORT)/api/docs/"
	@echo "  Public articles:                          http://127.0.0.1:$(WEB_PORT)/api/v1/public/articles/"
	@echo "  Logins: editor, chief, dr_oncology1, dr_oncology2, dr_cardiology"
	@echo "  Password: $${DEMO_PASSWORD:-demo}"
	@echo "  Second factor (board members, chief): DEBUG=1 $(BIN)/python manage.py demo_totp <username>"
	@echo "  Web, Celery worker and beat start below; Ctrl-C stops them all."
	@echo
	exec $(BIN)/python scripts/dev_supervisor.py -f Procfile.dev

test: $(VENV)/.installed-dev chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(VENV)/.installed
	SECRET_KEY=migrations-check $(BIN)/python manage.py makemigrations --check --dry-run

# Django's deployment checklist on production-like settings: DEBUG off, a generated SECRET_KEY,
# HTTPS declared (so HSTS follows), secure cookies, PostgreSQL, and Redis for the broker and the
# cache. Nothing is contacted; any warning fails it (docs/operations.md).
prod-check: $(VENV)/.installed
	@env -u SECURE_HSTS_SECONDS -u SECURE_HSTS_INCLUDE_SUBDOMAINS -u SECURE_HSTS_PRELOAD \
	  DEBUG=0 DJANGO_SETTINGS_MODULE=config.settings \
	  SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  ALLOWED_HOSTS=review.example.org SITE_URL=https://review.example.org \
	  SECURE_SSL_REDIRECT=1 TRUST_X_FORWARDED_PROTO=1 SECURE_COOKIES=1 \
	  DATABASE_URL=postgres://editorial@db.invalid:5432/editorial \
	  CELERY_BROKER_URL=redis://redis.invalid:6379/0 CACHE_URL=redis://redis.invalid:6379/1 \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

# The state-machine picture in docs/, drawn from Article.status's transitions (needs Graphviz's
# `dot`, e.g. `apt-get install graphviz`; tests check the .gv source stays in step with the code).
state-machine: export DEBUG ?= 1
state-machine: $(VENV)/.installed-dev
	$(BIN)/python manage.py graph_transitions articles.Article.status > docs/state-machine.gv
	$(BIN)/python manage.py graph_transitions -o docs/state-machine.png articles.Article.status
	rm -f docs/state-machine

# The review-cycle benchmark on the configured database (DATABASE_URL).
bench: export DEBUG ?= 1
bench: $(VENV)/.installed
	$(BIN)/python manage.py bench_review_cycle --cycles 500

# The staleness sweep against a per-row loop, bulk_update_with_history and a bare UPDATE.
bench-staleness: export DEBUG ?= 1
bench-staleness: $(VENV)/.installed
	$(BIN)/python manage.py bench_staleness --articles 100000 --due-fraction 0.1

# The API's lists and pages under gunicorn against plain Django views (PostgreSQL only).
bench-api: export DEBUG ?= 1
bench-api: $(VENV)/.installed
	$(BIN)/python manage.py bench_api --articles 10000

# Mutation testing of the workflow core (not part of `make test`: it takes long; docs/testing.md).
# A fresh run each time: mutmut's copy of the code and its results go in mutants/. The test
# database is migrated once, into a file each mutant's pytest session copies.
MUTATION_JOBS ?= 2
mutation: $(VENV)/.installed-dev
	rm -rf mutants
	mkdir -p mutants
	DJANGO_SETTINGS_MODULE=config.settings_test DATABASE_URL=sqlite:///$(CURDIR)/mutants/template.sqlite3 \
	  $(BIN)/python manage.py migrate --noinput -v 0
	MUTATION_DB_TEMPLATE=$(CURDIR)/mutants/template.sqlite3 $(BIN)/mutmut run --max-children $(MUTATION_JOBS)
	$(BIN)/python scripts/mutation_report.py

clean:
	rm -rf $(VENV) var
