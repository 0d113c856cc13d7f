# The two set-up commands of the README.
.PHONY: sample test messages

# Install, check and build the bundled sample document set into build/.
sample:
	scripts/install.sh
	wenkong validate
	wenkong build --pdf

# Install everything the tests need, then run linters, type checks and the whole test suite.
test:
	scripts/install.sh test
	ruff check generator tests bench
	mypy
	NO_MKDOCS_2_WARNING=1 python3 -m pytest -q

# After wrapping new messages in _(): merge them into the English catalogue, then fill in each
# empty msgstr of generator/locale/en/LC_MESSAGES/wenkong.po (see generator/i18n.py).
messages:
	python3 -c "from generator.i18n import update_catalogue as u; print('added %d, dropped %d' % u())"
