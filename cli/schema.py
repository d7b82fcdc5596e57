"""``schema``: the JSON Schemas of the rules files and config.yaml, for editors.

Apart from cli/rules.py because building the config schema imports every channel's settings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.context import language_of
from i18n import tr
from service.schema import write_schemas


def cmd_schema(args: argparse.Namespace) -> int:
    """Write the JSON Schemas into ``--out``."""
    for path in write_schemas(Path(args.out)):
        print(tr(language_of(args), "cli.schema_wrote", path=str(path)))
    return 0


__all__ = ["cmd_schema"]
