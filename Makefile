# Chợ Phiên — `make run` serves the demo on http://127.0.0.1:5000; `make test` passes the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# The SQLite and PostgreSQL passes without server processes each run on two xdist workers (tests/conftest.py gives
# every worker its own PostgreSQL database); `make test XDIST=` runs them in one process each.
XDIST ?= -n 2
TEST_LOGS := .test-logs

.PHONY: run test serve video install test-sqlite test-postgres pytest-sqlite pytest-sqlite-servers pytest-sqlite-rest pytest-postgres translations lint bench-images bench-live bench-churn bench-pages clean

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

static/vendor/.copied: $(STAMP) package-lock.json
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js node_modules/socket.io-client/dist/socket.io.min.js.map static/vendor/
	cp node_modules/hls.js/dist/hls.light.min.js static/vendor/
	touch $@

install: $(STAMP) static/vendor/.copied
	@for dir in market/translations market/*/translations; do \
		if [ -f $$dir/vi/LC_MESSAGES/messages.po ]; then $(BIN)/pybabel compile -d $$dir > /dev/null || exit 1; fi; \
	done

run: install
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/python wsgi.py

# SQLite always; PostgreSQL too when it answers (CI sets MARKET_REQUIRE_SERVICES=1: then it must answer). `make test`
# runs three passes side by side, each into its own log printed when all are done: the tests that start server
# processes or drive the browser (mostly waiting on those processes) beside the rest on SQLite and the rest on
# PostgreSQL, so both cores stay busy. Their databases, Redis keys and ports never meet; the server-process tests
# run once, on databases of their own (tests/servers.py), so the PostgreSQL pass leaves them out.
test: install
	@if $(BIN)/python tests/services.py postgres "$(PG_TEST_URL)"; then \
		echo "== three passes side by side: SQLite with server processes and the browser, SQLite, PostgreSQL ($(TEST_LOGS)/)"; \
		mkdir -p $(TEST_LOGS); \
		$(MAKE) --no-print-directory pytest-sqlite-servers > $(TEST_LOGS)/sqlite-servers.log 2>&1 & servers=$$!; \
		$(MAKE) --no-print-directory pytest-sqlite-rest > $(TEST_LOGS)/sqlite.log 2>&1 & sqlite=$$!; \
		$(MAKE) --no-print-directory pytest-postgres > $(TEST_LOGS)/postgres.log 2>&1 & postgres=$$!; \
		wait $$servers; rv=$$?; wait $$sqlite; rs=$$?; wait $$postgres; rp=$$?; \
		echo "== SQLite pass, server processes and browser (exit $$rv)"; cat $(TEST_LOGS)/sqlite-servers.log; \
		echo "== SQLite pass (exit $$rs)"; cat $(TEST_LOGS)/sqlite.log; \
		echo "== PostgreSQL pass (exit $$rp)"; cat $(TEST_LOGS)/postgres.log; \
		test $$rv -eq 0 -a $$rs -eq 0 -a $$rp -eq 0; \
	elif [ "$$MARKET_REQUIRE_SERVICES" = "1" ]; then \
		echo "PostgreSQL is required (MARKET_REQUIRE_SERVICES=1) but does not answer at $(PG_TEST_URL)"; exit 1; \
	else $(MAKE) --no-print-directory pytest-sqlite && \
		echo "SKIPPED the PostgreSQL run: PostgreSQL does not answer at $(PG_TEST_URL)"; fi

test-sqlite: install
	$(MAKE) --no-print-directory pytest-sqlite

test-postgres: install
	$(MAKE) --no-print-directory pytest-postgres

# The passes themselves, without the install step (make test installs once, then runs three at the same time).
pytest-sqlite:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

pytest-sqlite-servers:
	$(BIN)/python -m pytest -m "e2e or processes" $(PYTEST_ARGS)

pytest-sqlite-rest:
	$(BIN)/python -m pytest $(XDIST) -m "not e2e and not processes" $(PYTEST_ARGS)

pytest-postgres:
	MARKET_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest $(XDIST) -m "not e2e and not processes" $(PYTEST_ARGS)

# Janus, the media server of our own live video (deploy/janus.sh, docs/video.md), in the foreground. Then run the
# app with JANUS_URL=http://127.0.0.1:8088/janus and the secrets of instance/janus.env (`make serve` does it all).
video:
	./deploy/janus.sh

serve: install  ## production-like: 2 gunicorn gevent processes + PostgreSQL + Redis + nginx on :8000
	./deploy/serve.sh

translations: install  ## list the strings that still lack Vietnamese, as PO entries
	$(BIN)/python -m market.translations.missing

bench-images: install  ## photo pipeline beside a naive resize; search p50/p95 over 10 000 products (PostgreSQL)
	$(BIN)/python bench/images.py

bench-pages: install  ## bytes, requests and first paint of three pages on emulated 3G, beside main before the work
	$(BIN)/python bench/pages_3g.py $(BENCH_ARGS)

# The live storm (bench/live_storm.py): PostgreSQL and Redis must answer. BENCH_ARGS="--viewers 5000" …
bench-live: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	ulimit -n 20000 2>/dev/null || true; $(BIN)/python bench/live_storm.py $(BENCH_ARGS)

bench-churn: install  ## a hostile crowd (waves, never-joining sockets, bad tokens, viewers that read nothing) beside Node
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	ulimit -n 30000 2>/dev/null || true; $(BIN)/python bench/live_churn.py $(BENCH_ARGS)

lint: install  ## what CI checks: ruff's rules and ruff's formatting (`.venv/bin/ruff format .` fixes the second)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install  ## mypy --strict over the modules listed in pyproject.toml [tool.mypy] files
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules static/vendor
