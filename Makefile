# Co-create Coach. `make run` serves the web widget on http://localhost:8080;
# `make test` runs every test. Both install what is missing first, and only that.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
RASA := $(RASA_VENV)/bin/rasa
MODEL := models/coach.tar.gz
TRAINING := config.yml domain.yml $(shell find data/nlu stories -name '*.yml' 2>/dev/null)
SAFETY_MODEL := var/cache/safety/.fitted
SAFETY_DATA := $(shell find data/safety data/language -type f 2>/dev/null) bot/safety/semantic.py

.PHONY: run test lint unit model services clean help content

help:
	@echo "make run    - install, train if needed, and serve the web widget on localhost:$${PORT:-8080}"
	@echo "make test   - install, train if needed, start PostgreSQL/Redis if missing, run every test"

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(RASA_VENV)/.installed: engine/requirements.txt engine/constraints.txt
	test -x $(RASA_VENV)/bin/python || $(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(RASA_VENV)/bin/pip install --quiet -r engine/requirements.txt -c engine/constraints.txt
	touch $@

# Retrained only when the config, domain or training data change.
$(MODEL): $(RASA_VENV)/.installed $(TRAINING)
	TF_CPP_MIN_LOG_LEVEL=2 $(RASA) train --config config.yml --domain domain.yml \
	  --data data/nlu stories --out models --fixed-model-name coach
	touch $@

model: $(MODEL)

# The safety net's semantic layer: the exemplar bank embedded and the network fitted, kept
# under var/cache/ (about two minutes the first time; seconds after a change elsewhere).
$(SAFETY_MODEL): $(VENV)/.installed $(SAFETY_DATA)
	$(VENV)/bin/coach safety warm
	mkdir -p $(dir $@) && touch $@

run: $(VENV)/.installed $(MODEL) $(SAFETY_MODEL)
	$(VENV)/bin/coach run

services:
	@scripts/ensure-services

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit tests/actions -q

# Teach-back modules: both languages, re-explanations, chunk length and reading ease, ids.
content: $(VENV)/.installed
	$(VENV)/bin/coach content check

test: $(VENV)/.installed $(MODEL) $(SAFETY_MODEL) lint content
	@source <(scripts/ensure-services) && $(VENV)/bin/pytest -ra

clean:
	rm -rf var/test-* results
