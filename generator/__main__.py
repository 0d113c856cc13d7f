"""`python -m generator` runs the wenkong command."""

from generator.cli import main

main()
