# Two commands for a newcomer: `make demo` and `make test` (see README.md).
# The virtualenv is (re)installed only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint clean install

demo: $(STAMP)
	$(VPY) scripts/demo.py

test: $(STAMP)
	$(VPY) scripts/test.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

install: $(STAMP)

clean:
	rm -rf $(VENV) var/

$(VPY):
	@test -n "$(PYTHON)" || { echo "python3.11 (or python3) is required to create $(VENV)"; exit 2; }
	$(PYTHON) -m venv $(VENV)

# Editable install: the checkout itself is what runs (manage.py, celery -A tasks, pytest).
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --disable-pip-version-check -q -e ".[dev]"
	touch $@
