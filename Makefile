# Two commands for a new user: `make run` (install, then serve Slack) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench clean messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

run: $(BIN)/.installed
	$(BIN)/onboard-bot run

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

bench: $(BIN)/.installed
	$(BIN)/python -m bench

# Catalogs: extract the marked messages, update each language's .po, compile the .mo files the
# app reads. Run after adding or changing a message; translate the new entries in the .po.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --sort-output \
		--project Onboard -o bot/i18n/messages.pot .
	$(BIN)/pybabel update -i bot/i18n/messages.pot -d bot/i18n/locales -D onboard \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d bot/i18n/locales -D onboard --statistics
