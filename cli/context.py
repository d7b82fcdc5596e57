"""What every command that reads rules starts from: the config, the rules and the language."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from cli.language import config_path
from i18n import DEFAULT, N_, Language, tr
from i18n.phrase import phrase
from obligations.diagnostics import did_you_mean
from obligations.errors import FatalError, UnknownReference, ValidationFailed
from obligations.loader import LoadedConfig, check_with_configured, load_config, load_rules
from obligations.ruleset import LoadedFile, RuleSet
from scheduler.expand import Expander, Expansion
from scheduler.snapshot import Snapshot, load_snapshot
from scheduler.warning import word
from scheduler.workdays import calendar_from_config


@dataclass
class Context:
    snapshot: Snapshot
    lang: Language
    checked: list[LoadedFile] | None = None  # the rules files validate reports on, when not all of them

    @property
    def loaded(self) -> LoadedConfig:
        return self.snapshot.loaded

    @property
    def rules(self) -> RuleSet:
        return self.snapshot.rules

    @property
    def tz(self) -> ZoneInfo:
        return self.snapshot.tz

    def expander(self) -> Expander:
        return self.snapshot.expander(self.lang)


def load_context(args: argparse.Namespace, rules_override: Sequence[str] = ()) -> Context:
    try:
        return _load_context(args, rules_override)
    except ValidationFailed as exc:  # its problems are printed in the reader's language
        exc.lang = language_of(args)
        raise


def language_of(args: argparse.Namespace) -> Language:
    """``--lang``, else the config's ``language``, else the default (the config is what failed),
    for a command that needs no rules."""
    if args.lang:
        return args.lang  # type: ignore[no-any-return]
    try:
        return load_config(config_path(args.config)).config.language
    except FatalError:
        return DEFAULT


def _load_context(args: argparse.Namespace, rules_override: Sequence[str] = ()) -> Context:
    now = dt.datetime.now(dt.UTC)
    if rules_override:
        loaded = load_config(config_path(args.config))
        rules, checked = _given_rules(args, loaded, [Path(p) for p in rules_override])
        snapshot = Snapshot(1, loaded, rules, calendar_from_config(loaded.config.calendar),
                            ZoneInfo(loaded.config.timezone), now)
        return Context(snapshot, args.lang or loaded.config.language, checked)
    snapshot = load_snapshot(config_path(args.config), 1, now)
    return Context(snapshot, args.lang or snapshot.loaded.config.language)


def _given_rules(args: argparse.Namespace, loaded: LoadedConfig,
                 given: list[Path]) -> tuple[RuleSet, list[LoadedFile] | None]:
    """``validate FILE…``: the files with the rest of the configured rules, so that references to units
    of other files resolve, reporting only the given files' problems; with ``--alone``, the files alone."""
    if getattr(args, "alone", False):
        return load_rules(given), None
    checked = check_with_configured(given, loaded.rules_paths())
    if checked.elsewhere:
        print(tr(args.lang or loaded.config.language, "cli.validate_elsewhere", count=checked.elsewhere),
              file=sys.stderr)
    if checked.problems:
        raise ValidationFailed(checked.problems)
    return checked.rules, checked.mine


def check_ids(ctx: Context, unit: str | None, obligation: str | None) -> None:
    """Refuse an unknown ``--unit`` or ``--obligation``, naming the nearest known id."""
    error = None
    if unit is not None and unit not in ctx.rules.units:
        error = UnknownReference(phrase(N_("cli.unknown_unit"), "--unit %(id)s: unknown unit id%(hint)s", id=unit,
                                        hint=did_you_mean(unit, ctx.rules.units)))
    elif obligation is not None and obligation not in ctx.rules.obligations:
        error = UnknownReference(phrase(N_("cli.unknown_obligation"), "--obligation %(id)s: unknown obligation "
                                        "id%(hint)s", id=obligation,
                                        hint=did_you_mean(obligation, ctx.rules.obligations)))
    if error is not None:
        error.lang = ctx.lang  # worded in the reader's language (cli.run)
        raise error


def check_range(first: dt.date, last: dt.date) -> None:
    if last < first:
        raise FatalError(phrase(N_("cli.reversed_range"), "--to %(last)s is before --from %(first)s; swap them",
                                last=str(last), first=str(first)))


def warn(expansion: Expansion, lang: Language) -> None:
    """Each warning on stderr, worded in ``lang`` (``警告:…`` / ``warning: …``)."""
    for warning in expansion.warnings:
        print(tr(lang, "cli.warning", text=word(warning, lang)), file=sys.stderr)


__all__ = ["Context", "check_ids", "check_range", "config_path", "language_of", "load_context", "warn"]
