# The two set-up commands of the README.
.PHONY: sample test

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
