"""``python -m tutorloop`` runs the command-line interface."""

from .cli import main

main()
