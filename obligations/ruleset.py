"""The loaded rules of every file, indexed for the scheduler and the feeds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from obligations.model import Document, Level, Obligation, RulesFile, Selector, Unit, UnitRef
from obligations.offset import Offset
from obligations.yamlsource import YamlDocument


@dataclass(frozen=True)
class LoadedFile:
    """One rules file: its parsed text (for error places) and its validated model."""

    source: YamlDocument
    rules: RulesFile

    @property
    def name(self) -> str:
        return self.source.file


@dataclass
class RuleSet:
    """Every unit and obligation of the configured rules files, checked and indexed."""

    files: list[LoadedFile]
    units: dict[str, Unit] = field(default_factory=dict)
    unit_file: dict[str, int] = field(default_factory=dict)
    obligations: dict[str, Obligation] = field(default_factory=dict)
    obligation_file: dict[str, int] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    _applies: dict[str, list[str | None]] = field(default_factory=dict, repr=False)  # the rules never change
    _selected: dict[tuple[object, ...], list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, files: list[LoadedFile]) -> RuleSet:
        """Index ``files``; the first definition of a duplicated id wins (checks report it)."""
        rs = cls(files)
        for i, loaded in enumerate(files):
            rs.documents.setdefault(loaded.rules.document.id, loaded.rules.document)
            for unit in loaded.rules.units:
                if unit.id not in rs.units:
                    rs.units[unit.id] = unit
                    rs.unit_file[unit.id] = i
            for ob in loaded.rules.obligations:
                if ob.id not in rs.obligations:
                    rs.obligations[ob.id] = ob
                    rs.obligation_file[ob.id] = i
        return rs

    # -- the unit tree --------------------------------------------------------------------

    @cached_property
    def children(self) -> dict[str | None, list[str]]:
        tree: dict[str | None, list[str]] = {}
        for unit in self.units.values():
            parent = unit.parent if unit.parent in self.units else None
            tree.setdefault(parent, []).append(unit.id)
        return tree

    def roots(self) -> list[str]:
        return list(self.children.get(None, []))

    def descendants(self, unit_id: str) -> list[str]:
        """Units below ``unit_id`` at any depth, in tree order (not including itself)."""
        out: list[str] = []
        stack = list(reversed(self.children.get(unit_id, [])))
        while stack:
            uid = stack.pop()
            out.append(uid)
            stack.extend(reversed(self.children.get(uid, [])))
        return out

    def ancestors(self, unit_id: str) -> Iterator[str]:
        seen = {unit_id}
        parent = self.units[unit_id].parent
        while parent in self.units and parent not in seen:
            seen.add(parent)
            yield parent
            parent = self.units[parent].parent

    def select(self, ref: UnitRef, file_index: int | None = None) -> list[str]:
        """Unit ids a reference names: one id, or every unit of a level.

        A level selector without ``under`` stays inside the jurisdiction of the
        file it is written in (``file_index``): the Bayingolin plan's "every
        county" must not reach the counties of another document's rules file.
        A selector's ``branch`` keeps only the units of that branch (the government's
        own departments, not the court or the Party committee's organs).
        """
        if isinstance(ref, str):
            return [ref] if ref in self.units else []
        key = (ref.under, ref.level, ref.branch, None if ref.under else file_index)
        cached = self._selected.get(key)
        if cached is None:  # a national tree has 43,000 units: walk it once per selector, not per duty
            cached = self._selected[key] = self._select(ref, file_index)
        return list(cached)

    def _select(self, ref: Selector, file_index: int | None) -> list[str]:
        if ref.under:
            pool = self.descendants(ref.under)
        elif file_index is not None:
            pool = [u.id for u in self.files[file_index].rules.units if self.unit_file.get(u.id) == file_index]
        else:
            pool = list(self.units)
        return [uid for uid in pool if self.units[uid].level is ref.level
                and (ref.branch is None or self.units[uid].branch is ref.branch)]

    def applies_to(self, ob: Obligation) -> list[str | None]:
        """The units that each get their own occurrences; ``[None]`` for a unit-less duty."""
        cached = self._applies.get(ob.id)
        if cached is None:
            cached = self._applies[ob.id] = self._resolve(ob)
        return list(cached)

    def _resolve(self, ob: Obligation) -> list[str | None]:
        target = ob.applies_to
        if target is None:
            return [None]
        refs: list[UnitRef] = [target] if isinstance(target, Selector) else list(target)
        seen: dict[str, None] = {}
        index = self.obligation_file[ob.id]
        for ref in refs:
            for uid in self.select(ref, index):
                seen.setdefault(uid, None)
        return list(seen)

    def units_of_level(self, level: Level) -> list[str]:
        return [uid for uid, u in self.units.items() if u.level is level]

    def file_of_obligation(self, obligation_id: str) -> LoadedFile:
        return self.files[self.obligation_file[obligation_id]]

    def reminders(self, ob: Obligation) -> list[Offset]:
        """The duty's reminder offsets, else its file's defaults."""
        if ob.reminders is not None:
            return list(ob.reminders)
        return list(self.file_of_obligation(ob.id).rules.defaults.reminders)

    def document_of(self, ob: Obligation) -> Document:
        doc_id = ob.source.doc or self.file_of_obligation(ob.id).rules.document.id
        return self.documents[doc_id]


__all__ = ["LoadedFile", "RuleSet"]
