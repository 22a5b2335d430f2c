# `make demo` and `make test` work on a fresh clone: they build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-clock-ahead test-postgres lint typecheck eval bench clean

demo: $(STAMP)
	$(BIN)/nudgebot demo

test: lint typecheck
	$(BIN)/pytest

# The time-sensitive tests again with the wall clock 550 days ahead (time-machine): a test that
# compares a hard-coded day with the real clock fails here, not on the day it starts failing.
CLOCK_TESTS := tests/test_scheduler.py tests/storage tests/test_reports.py tests/test_tips.py \
	tests/adapters/slack/test_slack_daily_tips.py tests/adapters/slack/test_slack_leads.py \
	tests/adapters/slack/test_slack_state.py tests/adapters/teams
test-clock-ahead: $(STAMP)
	NUDGEBOT_TEST_CLOCK_AHEAD=550 $(BIN)/pytest $(CLOCK_TESTS)

# The same, with the storage tests on a throwaway PostgreSQL server as well (as CI runs them).
test-postgres:
	bash .ci/with-postgres $(MAKE) test

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

eval: $(STAMP)
	$(BIN)/nudgebot eval ../shared/eval/dev.jsonl --engine rules

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/llm.py
	$(BIN)/python bench/slack.py
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/load.py

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
