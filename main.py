"""Entry point of the command line: ``python main.py COMMAND --help``.

The commands live in cli/ (the parser and error handling in cli/__init__.py, the command
table in cli/commands.py, one module per command group); this file only starts them.
"""

from __future__ import annotations

import sys

from cli import build_parser, run

__all__ = ["build_parser", "run"]

if __name__ == "__main__":
    sys.exit(run())
