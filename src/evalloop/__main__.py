"""``python -m evalloop`` runs the command-line interface."""

from .cli import main

main()
