"""Checks of the units' own facts: a body that ended, and the duties that still name it.

A unit with ``until`` was abolished or merged on that day (the 2018-2019 reform abolished
法制办, 物价局, 安监局 …): expansion gives it no occurrence after that day. These checks catch
the encodings that cannot be right: a successor without an end, and a duty that names an
ended body by id although the duty only comes into force after the body was gone.
"""

from __future__ import annotations

from collections.abc import Iterator

from i18n import N_
from i18n.phrase import phrase
from obligations.errors import Problem
from obligations.model import Obligation, Selector
from obligations.ruleset import LoadedFile, RuleSet
from obligations.yamlsource import PathItem, value_position


def check_units(rs: RuleSet) -> list[Problem]:
    """Every problem of the units' ``until``/``successor`` in every file."""
    problems: list[Problem] = []
    for loaded in rs.files:
        problems += list(_successors(loaded))
        for i, ob in enumerate(loaded.rules.obligations):
            problems += list(_ended_units(rs, loaded, ["obligations", i], ob))
    return problems


def _at(loaded: LoadedFile, path: list[PathItem], message: str) -> Problem:
    line, column = value_position(loaded.source.tree, path)
    return Problem(loaded.name, line, column, message)


def _successors(loaded: LoadedFile) -> Iterator[Problem]:
    for i, unit in enumerate(loaded.rules.units):
        if unit.successor and unit.until is None:
            yield _at(loaded, ["units", i, "successor"], phrase(
                N_("problem.successor_without_until"), "successor is given but not until: add until, the last "
                "day %(unit)s existed, or remove successor", unit=repr(unit.id)))


def _ended_units(rs: RuleSet, loaded: LoadedFile, base: list[PathItem], ob: Obligation) -> Iterator[Problem]:
    start = ob.effective.from_
    if start is None or ob.applies_to is None or isinstance(ob.applies_to, Selector):
        return
    for j, ref in enumerate(ob.applies_to):
        unit = rs.units.get(ref) if isinstance(ref, str) else None
        if unit is not None and unit.until is not None and unit.until < start:
            yield _at(loaded, [*base, "applies_to", j], phrase(
                N_("problem.unit_ended"), "unit %(unit)s ended on %(until)s, before this duty is in force (from "
                "%(start)s), so it never gets an occurrence; remove it or name the body that took over",
                unit=repr(unit.id), until=str(unit.until), start=str(start)))


__all__ = ["check_units"]
