"""The language the command line speaks, known before its parser is built, and the config it reads.

The parser's words (``用法:``, ``错误:缺少必需的参数:…``, every help text) are in the reader's
language, so the language is found first, from the command line alone: ``--lang`` anywhere in it,
else the ``language`` key of the config (``--config``, else ./config.yaml, else the shipped one),
else the default (zh-CN). A first pass reads only ``--lang`` and ``--config`` with
``parse_known_args`` (nothing else is checked, nothing is printed); the config is read as YAML
for that one key, not validated: a command that loads it later reports its problems, and a config
that cannot be read leaves the default. Then the parser is built and parses in that language.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from cli.commands import ROOT
from i18n import DEFAULT, LANGUAGES, N_, Language
from i18n.phrase import phrase
from obligations.errors import FatalError
from obligations.yamllimits import YamlSyntaxError
from obligations.yamlsource import read_yaml

DEFAULT_CONFIG = Path("config.yaml")


def config_path(arg: str | None) -> Path | None:
    """``--config``, else ./config.yaml, else the one shipped next to main.py (None: built-in defaults)."""
    if arg is not None:
        path = Path(arg)
        if not path.exists():
            raise FatalError(phrase(N_("cli.config_not_found"), "%(path)s: config file not found; pass an existing "
                                    "file to --config", path=arg))
        return path
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    shipped = ROOT / "config.yaml"
    return shipped if shipped.exists() else None


def _first_pass(argv: Sequence[str]) -> argparse.Namespace | None:
    """``--lang`` and ``--config`` of ``argv``, whatever else it holds; None when even they do not parse."""
    first = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    first.add_argument("--lang")
    first.add_argument("--config")
    try:
        known, _ = first.parse_known_args(list(argv))
    except argparse.ArgumentError:  # `--lang` without its value: the real parser says so
        return None
    return known


def configured_language(config: str | None) -> Language:
    """The ``language`` of the config ``--config`` names (or the one found without it); the default when
    there is none, or the file cannot be read."""
    try:
        path = config_path(config)
        data = read_yaml(path).data if path is not None else None
    except (FatalError, YamlSyntaxError):
        return DEFAULT
    value = data.get("language") if isinstance(data, dict) else None
    return value if value in LANGUAGES else DEFAULT  # type: ignore[return-value]


def chosen_language(argv: Sequence[str]) -> Language:
    """The language of a command line: ``--lang``, else the config's ``language``, else the default."""
    known = _first_pass(argv)
    if known is not None and known.lang in LANGUAGES:
        return known.lang  # type: ignore[no-any-return]
    return configured_language(known.config if known is not None else None)


__all__ = ["DEFAULT_CONFIG", "chosen_language", "config_path", "configured_language"]
