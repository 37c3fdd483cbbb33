"""The ``tutor`` command line: options in, library calls, results out through a renderer."""

from tutor.cli.app import main

__all__ = ["main"]
