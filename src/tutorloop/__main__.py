"""``python -m tutorloop`` runs the command-line interface."""

from tutorloop.cli import main

main()
