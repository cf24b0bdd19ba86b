# BenchBarrier Automation. The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
BIN    := $(VENV)/bin

.PHONY: run test install lint format lock migrate clean

# The environment is built from the lock file and rebuilt whenever the lock changes.
$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "BenchBarrier needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

install: $(VENV)/.installed

## run: web + worker + beat on this machine, with demo data (Ctrl-C stops all three)
run: install
	@echo "== migrating the database"
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	@echo "== loading demo data"
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py load_demo
	@echo "== starting web (http://127.0.0.1:$(PORT)/admin/, API docs at /api/docs/), worker and beat"
	DEBUG=$${DEBUG:-1} PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start --env /dev/null --procfile Procfile.dev --port $(PORT)

## test: the whole suite (integration tests skip without PostgreSQL/Redis; CI has both)
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(BIN)/python manage.py migrate --noinput

## lock: re-pin every dependency after editing pyproject.toml
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --extra dev --generate-hashes --no-emit-index-url \
		--no-emit-find-links --strip-extras --allow-unsafe -o requirements.lock pyproject.toml
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
