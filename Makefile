# The two commands: `make run` (embedded mode) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PRODUCTION_CHECK_ENV := DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_ALLOWED_HOSTS=agora.example.com \
	DJANGO_SECRET_KEY=check-deploy-only-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')

.PHONY: install run test lint format check messages clean bench bench-smoke

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py fill --if-empty
	@# One launcher for the server and run_cron.py: Ctrl-C stops both and ends with exit code 0.
	@$(PY) manage.py run_local 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

check: install
	$(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PRODUCTION_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	mkdir -p artifacts
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --file artifacts/schema.yml --validate --fail-on-warn
	$(VENV)/bin/bandit -q -r accounts core config shop sitestore chat crowdfunding mailings blog run_cron.py -x '*/migrations/*' --severity-level medium

# The suite runs in parallel, one worker per core (PYTEST_WORKERS=0 runs it in one process).
PYTEST_WORKERS ?= auto
test: lint check
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal --cov --cov-report=term $(PYTEST_ARGS)

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l ru --ignore=.venv --ignore=node_modules --ignore=artifacts --ignore=tests --ignore=sitestore/bundles --no-obsolete
	$(PY) manage.py compilemessages -l ru --ignore=.venv --ignore=node_modules

# Benchmarks (issue #11; bench/README.md): PostgreSQL + Redis + wrk, too slow and noisy for `make test`.
SCALE ?= 1
DURATION ?= 15
REPETITIONS ?= 3
bench: install
	$(PY) -m bench.run --scale $(SCALE) --duration $(DURATION) --repetitions $(REPETITIONS) \
		$(if $(SCALEOUT),--scaleout) $(BENCH_ARGS)

# The harness end to end at a tiny scale, in its own database, results in a temporary folder.
bench-smoke: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_bench_smoke $(PY) -m bench.run --scale 0.01 \
		--duration 2 --connections 8 --repetitions 1 --mail 50 --scaleout --out "$$(mktemp -d)" --check

clean:
	rm -rf $(VENV) node_modules staticfiles artifacts .coverage
