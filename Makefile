# The two set-up commands of the README. Wenkong and its Python packages go into a project
# virtual environment, .venv/ (scripts/install.sh); `make test PYTHON_BIN=` uses the Python on
# PATH instead (for a machine that already has everything installed).
.PHONY: sample test messages

PYTHON_BIN ?= .venv/bin/
PY = $(PYTHON_BIN)python$(if $(PYTHON_BIN),,3)

# Install, check and build the bundled sample document set into build/.
sample:
	$(if $(PYTHON_BIN),scripts/install.sh,@true)
	$(PYTHON_BIN)wenkong validate
	$(PYTHON_BIN)wenkong build --pdf

# Install everything the tests need, then run linters, type checks and the whole test suite.
test:
	$(if $(PYTHON_BIN),scripts/install.sh test,@true)
	$(PY) -m ruff check generator tests bench
	$(PY) -m mypy
	NO_MKDOCS_2_WARNING=1 $(PY) -m pytest -q

# After wrapping new messages in _(): merge them into the English catalogue, then fill in each
# empty msgstr of generator/locale/en/LC_MESSAGES/wenkong.po (see generator/i18n.py).
messages:
	$(PY) -c "from generator.i18n import update_catalogue as u; print('added %d, dropped %d' % u())"
