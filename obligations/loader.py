"""Loading config.yaml and the rules files, collecting every problem at once."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.checks import check_ruleset
from obligations.config import Config
from obligations.diagnostics import did_you_mean, keyed, problems_from
from obligations.errors import Problem, ValidationFailed
from obligations.model import RulesFile
from obligations.ruleset import LoadedFile, RuleSet
from obligations.yamllimits import YamlSyntaxError
from obligations.yamlsource import YamlDocument, read_yaml, value_position


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path | None  # None: the embedded defaults
    source: YamlDocument | None = None  # the parsed file, to place problems found later

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def database_url(self) -> str:
        """The store's URL: DATABASE_URL from the environment, else the config's, with a
        relative SQLite path made relative to the config file."""
        url = os.environ.get("DATABASE_URL") or self.config.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            url = prefix + str(self.base_dir / url[len(prefix):])
        return url

    @property
    def public_url(self) -> str:
        server = self.config.server
        return server.public_url or f"http://{server.host}:{server.port}"

    def rules_paths(self) -> list[Path]:
        """The rules files named by ``rules``, globs expanded, in a stable order."""
        out: list[Path] = []
        for pattern in self.config.rules:
            full = pattern if os.path.isabs(pattern) else str(self.base_dir / pattern)
            matches = sorted(glob.glob(full))
            if not matches and not glob.has_magic(pattern):
                matches = [full]  # reported as "file not found" with its name
            out.extend(Path(m) for m in matches)
        return list(dict.fromkeys(out))


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _validate(doc: YamlDocument, model: type[BaseModel]) -> tuple[BaseModel | None, list[Problem]]:
    if doc.data is None:
        return None, [Problem(doc.file, 1, 1, Phrase("the file is empty", N_("problem.empty_file")))]
    if not isinstance(doc.data, dict):
        return None, [doc.problem([], Phrase("expected a mapping of keys at the top level", N_("problem.top_level")))]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, problems_from(exc, doc, model)


def load_config(path: Path | None) -> LoadedConfig:
    """Read ``path``; ``None`` means the embedded defaults."""
    if path is None:
        return LoadedConfig(Config(), None)
    try:
        doc = read_yaml(path, _display(path))
    except YamlSyntaxError as exc:
        raise ValidationFailed([exc.problem]) from None
    if doc.data is None:
        return LoadedConfig(Config(), path)
    config, problems = _validate(doc, Config)
    if problems:
        raise ValidationFailed(problems)
    assert isinstance(config, Config)
    return LoadedConfig(config, path, doc)


_UNKNOWN_ID = {"unit": N_("problem.unknown_unit_id"), "obligation": N_("problem.unknown_obligation_id")}


def check_config_references(loaded: LoadedConfig, rules: RuleSet) -> list[Problem]:
    """Units and duties that config.yaml names (private feeds, subscriptions) must exist."""

    problems: list[Problem] = []

    def check(path: list[str | int], kind: str, value: str | None, known: dict[str, object]) -> None:
        if value is None or value in known:
            return
        hint = did_you_mean(value, known)
        message = keyed(path[-1], Phrase(f"unknown {kind} id {value!r}{hint}", _UNKNOWN_ID[kind], id=repr(value),
                                         hint=hint))
        if loaded.source is not None:
            line, column = value_position(loaded.source.tree, path)
            problems.append(Problem(loaded.source.file, line, column, message))
        else:
            problems.append(Problem("config", 0, 0, message))

    for i, feed in enumerate(loaded.config.feeds.private):
        check(["feeds", "private", i, "unit"], "unit", feed.unit, rules.units)
        check(["feeds", "private", i, "obligation"], "obligation", feed.obligation, rules.obligations)
    def channel(path: list[str | int], name: str) -> None:
        if name == "log" or name in loaded.config.notifiers:
            return
        if name == "telegram" and os.environ.get("TELEGRAM_BOT_TOKEN"):
            return
        configured = ", ".join(["log", *loaded.config.notifiers])
        message = phrase(N_("problem.no_channel"), "%(key)s: channel %(name)s is not configured; add it under "
                         "notifiers: (configured: %(configured)s)", key=str(path[-1]), name=repr(name),
                         configured=configured)
        if loaded.source is not None:
            line, column = value_position(loaded.source.tree, path)
            problems.append(Problem(loaded.source.file, line, column, message))
        else:
            problems.append(Problem("config", 0, 0, message))

    for i, admin in enumerate(loaded.config.reminders.admins):
        channel(["reminders", "admins", i, "channel"], admin.channel)
    for i, tier in enumerate(loaded.config.reminders.escalation):
        channel(["reminders", "escalation", i, "channel"], tier.channel)
    for i, sub in enumerate(loaded.config.subscribers):
        channel(["subscribers", i, "channel"], sub.channel)
        for j, item in enumerate(sub.subscriptions):
            base: list[str | int] = ["subscribers", i, "subscriptions", j]
            check([*base, "unit"], "unit", item.unit, rules.units)
            check([*base, "obligation"], "obligation", item.obligation, rules.obligations)
    for i, rec in enumerate(loaded.config.supervision.summary_recipients):
        channel(["supervision", "summary_recipients", i, "channel"], rec.channel)
        check(["supervision", "summary_recipients", i, "unit"], "unit", rec.unit, rules.units)
    return problems


def read_rules(paths: list[Path]) -> tuple[list[LoadedFile], list[Problem]]:
    """Parse and validate each file on its own (the first stage): the files that passed, and every problem."""
    problems: list[Problem] = []
    files: list[LoadedFile] = []
    for path in paths:
        try:
            doc = read_yaml(path, _display(path))
        except YamlSyntaxError as exc:
            problems.append(exc.problem)
            continue
        rules, found = _validate(doc, RulesFile)
        problems += found
        if isinstance(rules, RulesFile):
            files.append(LoadedFile(doc, rules))
    return files, problems


def load_rules(paths: list[Path]) -> RuleSet:
    """Parse, validate and cross-check ``paths``; raise with every problem found."""
    if not paths:
        raise ValidationFailed([Problem("config", 0, 0, Phrase("no rules files matched; check `rules:` in config.yaml",
                                                               N_("problem.no_rules_files")))])
    files, problems = read_rules(paths)
    ruleset = RuleSet.build(files)
    problems += check_ruleset(ruleset)
    if problems:
        raise ValidationFailed(problems)
    return ruleset


def _same_file(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop, a name the OS refuses: compared as written
        return path.absolute()


def with_configured(given: list[Path], configured: list[Path]) -> list[Path]:
    """The rules files to check ``given`` with: the configured ones, less each given file and each file a
    given draft stands in for (one of the same name kept elsewhere), then the given files.

    The given files come last, so an id they share with another file is reported in them.
    """
    kept = {_same_file(path) for path in configured}
    mine = {_same_file(path) for path in given}
    drafts = {path.name for path in given if _same_file(path) not in kept}
    others = [path for path in configured if _same_file(path) not in mine and path.name not in drafts]
    return [*others, *dict.fromkeys(given)]


@dataclass(frozen=True)
class FocusedCheck:
    """Given rules files checked together with the rest of the configured rules."""

    rules: RuleSet  # every file that passed the first stage, the given ones last
    mine: list[LoadedFile]  # the given files that passed the first stage
    problems: list[Problem]  # the given files' problems
    elsewhere: int  # how many problems the other files have (not reported here)


def check_with_configured(given: list[Path], configured: list[Path]) -> FocusedCheck:
    """Check ``given`` with the configured rules (so references to units of other files resolve);
    only the given files' problems are kept. A given file that cannot be read or fails its schema
    needs no other file, so when none of them passes the first stage the others are not read."""
    names = {_display(path) for path in given}
    mine, problems = read_rules(list(dict.fromkeys(given)))
    if not mine:
        return FocusedCheck(RuleSet.build([]), [], problems, 0)
    others, found = read_rules([path for path in with_configured(given, configured) if _display(path) not in names])
    ruleset = RuleSet.build([*others, *mine])
    found += check_ruleset(ruleset)
    problems += [p for p in found if p.file in names]
    return FocusedCheck(ruleset, mine, problems, sum(1 for p in found if p.file not in names))


__all__ = ["FocusedCheck", "LoadedConfig", "check_config_references", "check_with_configured", "load_config",
           "load_rules", "read_rules", "with_configured"]
