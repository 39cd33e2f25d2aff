"""The ``openpesel`` command line: a thin adapter over the register's services."""

from openpesel.cli.app import app, main

__all__ = ["app", "main"]
