"""The rule model: what an administrator writes in a rules YAML file.

The pydantic models are the schema: ``python main.py schema`` writes the JSON
Schema that editors use from them, and every ``description`` below is the
field's documentation. Checks that need more than one field or more than one
file (unknown unit ids, impossible quotas) live in :mod:`obligations.checks`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.offset import Offset, Offsets
from obligations.schedules import Schedule
from obligations.strict import Strict

SCHEMA_VERSION = 1

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
_ID_HELP = "lower-case letters, digits, '-', '_' and '.', starting with a letter or digit"


class Level(StrEnum):
    """Administrative level of a unit."""

    province = "province"
    prefecture = "prefecture"  # 州 / 地级市
    county = "county"  # 县 / 县级市 / 区 and development zones run like them
    township = "township"  # 乡镇 / 街道
    department = "department"  # a body under a government: its departments, and the other organs of the area


class Branch(StrEnum):
    """What kind of body a unit is: only ``government`` units are the government's own departments."""

    government = "government"  # 人民政府 and its departments, offices and directly run bodies (政府工作部门)
    party = "party"  # organs of the Party committee: 组织部, 编办, 纪委(监委) …
    congress = "congress"  # 人大常委会 and its office
    cppcc = "cppcc"  # 政协 and its office
    court = "court"  # 人民法院
    procuratorate = "procuratorate"  # 人民检察院
    vertical = "vertical"  # a branch of a higher-level or central body in the area (人民银行支行, 税务局 …)
    other = "other"  # anything else: public institutions (事业单位), associations …


class Origin(StrEnum):
    """Where a unit of the tree comes from."""

    document = "document"  # named by the document the file encodes
    added = "added"  # added for the sample (e.g. townships from the official statistical code list)


class Contact(Strict):
    """Someone to reach at a unit (used by reminders and escalation)."""

    name: str = Field(description="Person or role, e.g. 办公室值班")
    email: str | None = Field(default=None, description="E-mail address")
    phone: str | None = Field(default=None, description="Phone number")
    telegram: str | None = Field(default=None, description="Telegram user or chat id")


class Unit(Strict):
    """One organisation in the tree of units the duties apply to."""

    id: str = Field(pattern=ID_PATTERN, description=f"Stable unit id ({_ID_HELP})")
    name: str = Field(min_length=1, description="Official name, e.g. 库尔勒市人民政府")
    level: Level = Field(description="Administrative level")
    parent: str | None = Field(default=None, description="Id of the parent unit; omit for a root")
    contacts: list[Contact] = Field(default_factory=list, description="People to remind")
    branch: Branch = Field(
        default=Branch.government,
        description="What kind of body: government (the government and its departments), party, congress, "
        "cppcc, court, procuratorate, vertical (a higher-level body's branch in the area) or other",
    )
    origin: Origin = Field(
        default=Origin.document,
        description="document: the document names it; added: added for the sample (say from where in origin_note)",
    )
    origin_note: str = Field(
        default="", description="Where the unit comes from, e.g. 国家统计局统计用区划代码(2023); shown on its page"
    )
    until: dt.date | None = Field(
        default=None,
        description="Last day the body existed (abolished or merged); no occurrence of it falls after this day",
    )
    successor: str = Field(
        default="", description="With until: the body that took over its work, e.g. 柳江区司法局; shown on its page"
    )


class Selector(Strict):
    """Selects units by level, optionally only those below one unit."""

    level: Level = Field(
        description="Every unit of this level defined in the same rules file (the document's jurisdiction)"
    )
    under: str | None = Field(
        default=None, description="Instead: every unit of the level below this unit id (any depth, any file)"
    )
    branch: Branch | None = Field(
        default=None, description="Only units of this branch, e.g. government for 政府有关部门; omit for all"
    )


UnitRef = Annotated[
    str | Selector,
    Field(description="A unit id, or {level: ..., under: ...} selecting several units"),
]


class Exception_(Strict):
    """Skip, move or add one occurrence (optionally only for some units)."""

    skip: dt.date | None = Field(default=None, description="Date of the occurrence to drop")
    move: dt.date | None = Field(default=None, description="Date of the occurrence to move")
    to: dt.date | None = Field(default=None, description="With move: the new date")
    add: dt.date | None = Field(default=None, description="An extra occurrence on this date")
    units: list[str] | None = Field(default=None, description="Only for these unit ids")
    note: str = Field(default="", description="Why, e.g. the notice that moved it")

    @model_validator(mode="after")
    def _one_action(self) -> Exception_:
        actions = [a for a in ("skip", "move", "add") if getattr(self, a) is not None]
        if len(actions) != 1:
            raise ValueError(Phrase("each exception has exactly one of skip, move (with to) or add",
                                    N_("problem.exception_kind")))
        if (self.move is None) != (self.to is None):
            raise ValueError(Phrase("move needs to (the new date) and to needs move", N_("problem.move_to")))
        return self


class Source(Strict):
    """Where a duty comes from: the document, the clause and the exact words."""

    doc: str | None = Field(default=None, description="Document id; default: the file's document")
    clause: str = Field(default="", description="Clause number as printed, e.g. (二十五)")
    quote: str = Field(min_length=1, description="The exact sentence(s) of the document")


class Effective(Strict):
    """The period a duty is in force; ``until`` omitted means until an administrator ends it."""

    from_: dt.date | None = Field(default=None, alias="from", description="First day in force")
    until: dt.date | None = Field(default=None, description="Last day in force")

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError(phrase(N_("problem.until_before_from"), "until (%(until)s) is before from (%(start)s)",
                                    until=str(self.until), start=str(self.from_)))
        return self


class Obligation(Strict):
    """One duty: who must do what, for which units, and when."""

    id: str = Field(pattern=ID_PATTERN, description=f"Stable duty id ({_ID_HELP})")
    title: str = Field(min_length=1, description="Short title shown in calendars")
    description: str = Field(default="", description="Longer explanation")
    actor: str = Field(default="", description="Who acts, as the document says (乡镇(街道)领导干部)")
    lead: list[str] = Field(default_factory=list, description="Lead unit ids (牵头单位)")
    participants: list[UnitRef] = Field(
        default_factory=list, description="Participating units (参加单位)"
    )
    applies_to: list[UnitRef] | Selector | None = Field(
        default=None,
        description="Units that each get their own occurrences: a level selector or a list; "
        "omit for one occurrence with no unit",
    )
    source: Source
    schedule: Schedule
    reminders: Offsets | None = Field(
        default=None, description="Offsets before each occurrence: 7d, 3wd, 2h; default: the file's"
    )
    effective: Effective = Field(default_factory=Effective)
    exceptions: list[Exception_] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, description="Free labels, e.g. 信访")
    review: bool = Field(default=False, description="true while a person must still check it")
    review_reason: str = Field(default="", description="What to check")
    notes: str = Field(
        default="",
        description="The rule author's notes: how the text was read and encoded, what the rule leaves out. "
        "Kept with the rule for administrators; never shown in feeds, reminders or public pages",
    )


class Document(Strict):
    """The policy document a rules file encodes."""

    id: str = Field(pattern=ID_PATTERN, description="Document id used by source.doc")
    title: str = Field(min_length=1)
    issuer: str = Field(default="", description="Issuing office")
    date: dt.date | None = Field(default=None, description="Date of issue, YYYY-MM-DD")
    url: str | None = Field(default=None)


class DayNote(Strict):
    """A local holiday or make-up working day."""

    date: dt.date
    name: str = Field(default="", description="e.g. 古尔邦节")


class LocalCalendar(Strict):
    """Local additions to the national working-day calendar for this file's units."""

    holidays: list[DayNote] = Field(default_factory=list, description="Extra days off")
    workdays: list[DayNote] = Field(default_factory=list, description="Extra working days")


class Defaults(Strict):
    """Defaults for every obligation of the file."""

    reminders: Offsets = Field(default_factory=lambda: [Offset.parse("7d"), Offset.parse("1d")])


class RulesFile(Strict):
    """A rules YAML file: one document's units and duties."""

    version: Literal[1] = Field(default=1, description="Schema version of this file")
    document: Document
    calendar: LocalCalendar = Field(default_factory=LocalCalendar)
    defaults: Defaults = Field(default_factory=Defaults)
    units: list[Unit] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)


__all__ = [
    "SCHEMA_VERSION",
    "Branch",
    "Contact",
    "DayNote",
    "Defaults",
    "Document",
    "Effective",
    "Exception_",
    "Level",
    "LocalCalendar",
    "Obligation",
    "Origin",
    "RulesFile",
    "Selector",
    "Source",
    "Unit",
    "UnitRef",
]
