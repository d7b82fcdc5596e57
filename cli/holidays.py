"""``holidays import FILE``: the State Council's yearly notice into ``calendar.official``.

Reads the notice as published (scheduler/notice.py), prints it against the prediction (days off
added, make-up working days) and the occurrences of the loaded rules whose dates move when the
notice replaces the prediction; with ``--write`` puts it under ``calendar.official.<year>`` of the
config file, keeping the file's comments and layout (ruamel.yaml round trip).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.tokens import CommentToken

from cli.context import Context, config_path, language_of, load_context
from i18n import N_, Language, tr
from i18n.phrase import phrase
from obligations.errors import FatalError
from obligations.loader import load_config
from scheduler.expand import Expander
from scheduler.notice import CHINESE_NAMES, Notice, compare, days_off, parse_notice
from scheduler.occurrence import Occurrence
from scheduler.prediction import law_in_force, predicted_days_off
from scheduler.workdays import OfficialYear, WorkdayCalendar

FESTIVAL_TEXT: dict[str, str] = {
    "new_year": N_("holiday.new_year"),
    "spring_festival": N_("holiday.spring_festival"),
    "qingming": N_("holiday.qingming"),
    "labour_day": N_("holiday.labour_day"),
    "dragon_boat": N_("holiday.dragon_boat"),
    "mid_autumn": N_("holiday.mid_autumn"),
    "national_day": N_("holiday.national_day"),
}


def cmd_holidays(args: argparse.Namespace) -> int:
    """Read a notice, show what it changes against the prediction, and write it with ``--write``."""
    notice = parse_notice(_read(Path(args.file), language_of(args)), args.year)
    ctx = load_context(args)
    lang = ctx.lang
    lines = [tr(lang, "holidays.read", year=notice.year, off=len(notice.holidays), workdays=len(notice.workdays))]
    if notice.outside:
        lines.append(tr(lang, "holidays.outside", days=_days(lang, notice.outside), year=notice.year))
    lines += _against_prediction(lang, notice)
    lines += _against_dataset(lang, notice)
    lines += _moves(ctx, notice)
    path = config_path(args.config)
    shown = str(path) if path is not None else "config.yaml"
    if args.write:
        if path is None:
            raise _error(phrase(N_("cli.holidays_needs_config"), "--write needs a config file: pass --config PATH"),
                         lang)
        if write_official(path, notice):
            lines.append(tr(lang, "holidays.replaced", path=shown, year=notice.year))
        else:
            lines.append(tr(lang, "holidays.written", path=shown, year=notice.year))
    else:
        lines.append(tr(lang, "holidays.dry_run", path=shown, year=notice.year))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _error(said: str, lang: Language | None) -> FatalError:
    """A fatal error worded in ``lang`` (``--lang``, else the config's) by cli.run."""
    error = FatalError(said)
    error.lang = lang  # type: ignore[attr-defined]
    return error


def _read(path: Path, lang: Language) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _error(phrase(N_("cli.holidays_no_file"), "%(path)s: no such file; pass the notice's text as a "
                            "UTF-8 file", path=str(path)), lang) from None
    except UnicodeDecodeError:
        raise _error(phrase(N_("cli.holidays_not_utf8"), "%(path)s: not UTF-8 text; save the notice as UTF-8",
                            path=str(path)), lang) from None


# -- what the notice says against the prediction ------------------------------------------------


def _day(lang: Language, day: dt.date, festivals: Iterable[str] = ()) -> str:
    weekday = tr(lang, f"weekday.{day.isoweekday()}")
    names = tr(lang, "holidays.separator").join(tr(lang, FESTIVAL_TEXT[f]) for f in festivals)
    if names:
        return tr(lang, "holidays.day_of", date=day.isoformat(), weekday=weekday, festival=names)
    return tr(lang, "holidays.day", date=day.isoformat(), weekday=weekday)


def _days(lang: Language, days: Iterable[dt.date], festivals: Mapping[dt.date, tuple[str, ...]] | None = None) -> str:
    return tr(lang, "holidays.separator").join(_day(lang, d, (festivals or {}).get(d, ())) for d in days)


def _against_prediction(lang: Language, notice: Notice) -> list[str]:
    diff = compare(notice, set(predicted_days_off(notice.year)))
    lines = [tr(lang, "holidays.prediction", decree=law_in_force(notice.year).decree)]
    if diff.added_off:
        lines.append(tr(lang, "holidays.added_off", count=len(diff.added_off),
                        days=_days(lang, diff.added_off, notice.holidays)))
    if diff.makeup:
        lines.append(tr(lang, "holidays.makeup", count=len(diff.makeup),
                        days=_days(lang, diff.makeup, notice.workdays)))
    if diff.missing:
        lines.append(tr(lang, "holidays.missing", count=len(diff.missing), days=_days(lang, diff.missing)))
    if not (diff.added_off or diff.makeup or diff.missing):
        lines.append(tr(lang, "holidays.same_as_prediction"))
    return lines


def _against_dataset(lang: Language, notice: Notice) -> list[str]:
    """For a year chinesecalendar already has: does the notice agree with it, day by day?"""
    dataset = WorkdayCalendar()
    if dataset.year_source(notice.year) != "dataset":
        return []
    off = days_off(notice)
    days = [dt.date(notice.year, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    days = [d for d in days if d.year == notice.year]
    differ = [d for d in days if dataset.is_workday(d) == (d in off)]
    if differ:
        return [tr(lang, "holidays.dataset_differs", year=notice.year, count=len(differ), days=_days(lang, differ))]
    return [tr(lang, "holidays.dataset_same", year=notice.year, days=len(days))]


# -- what moves ------------------------------------------------------------------------------------


def moved_occurrences(ctx: Context, notice: Notice) -> list[tuple[Occurrence | None, Occurrence | None]]:
    """The occurrences of the notice's year whose date differs between the prediction and the notice."""
    year = notice.year
    official = OfficialYear(frozenset(notice.holidays), frozenset(notice.workdays))
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)

    def expand(calendar: WorkdayCalendar) -> dict[str, Occurrence]:
        expander = Expander(ctx.rules, calendar, ctx.tz, ctx.lang)
        return {o.uid: o for o in expander.expand(first, last).occurrences}

    before = expand(ctx.snapshot.calendar.with_year(year, None))
    after = expand(ctx.snapshot.calendar.with_year(year, official))
    moved = [(before.get(uid), after.get(uid)) for uid in before.keys() | after.keys()
             if uid not in before or uid not in after or before[uid].date != after[uid].date]
    return sorted(moved, key=lambda pair: _order(*pair))


def _order(before: Occurrence | None, after: Occurrence | None) -> tuple[dt.date, str, str]:
    occ = before or after
    assert occ is not None
    return occ.date, occ.obligation.id, occ.unit or ""


def _moves(ctx: Context, notice: Notice) -> list[str]:
    moved = moved_occurrences(ctx, notice)
    if not moved:
        return [tr(ctx.lang, "holidays.nothing_moves")]
    lines = [tr(ctx.lang, "holidays.moves", count=len(moved))]
    for before, after in moved:
        occ = before or after
        assert occ is not None
        unit = ctx.rules.units[occ.unit].name if occ.unit else "-"
        lines.append(tr(ctx.lang, "holidays.move", duty=occ.obligation.id, unit=unit,
                        before=before.date.isoformat() if before else "-",
                        after=after.date.isoformat() if after else "-"))
    return lines


# -- --write ---------------------------------------------------------------------------------------


def _listed(days: Mapping[dt.date, tuple[str, ...]], suffix: str = "") -> CommentedSeq:
    """One date a line, each with its festival as the notice names it (``- 2027-02-05  # 春节``).

    Column 22 is two spaces after a date at the depth of ``calendar.official.<year>.holidays``.
    """
    seq = CommentedSeq(sorted(days))
    for i, day in enumerate(seq):
        seq.yaml_add_eol_comment("、".join(CHINESE_NAMES[f] for f in days[day]) + suffix, i, column=22)
    return seq


def _trailing_lines(node: object) -> list[str]:
    """Whole-line comments below a node's last line: ruamel.yaml keeps them in the end-of-line
    comment of its last item, so they would go with the node when it is replaced."""
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        last = len(node) - 1 if isinstance(node, CommentedSeq) else list(node)[-1]
        tokens = [t for t in node.ca.items.get(last) or [] if isinstance(t, CommentToken)]
        if tokens:
            rest = tokens[-1].value.partition("\n")[2]
            return [line.strip().removeprefix("#").strip() for line in rest.splitlines() if line.strip()]
        node = node[last]
    return []


def _rehome(data: CommentedMap, calendar: CommentedMap, lines: list[str]) -> None:
    """Put ``lines`` above the key that follows ``calendar.official`` (where they stood)."""
    keys, top = list(calendar), list(data)
    if not lines:
        return
    if keys.index("official") + 1 < len(keys):
        calendar.yaml_set_comment_before_after_key(keys[keys.index("official") + 1], before="\n".join(lines), indent=2)
    elif top.index("calendar") + 1 < len(top):
        data.yaml_set_comment_before_after_key(top[top.index("calendar") + 1], before="\n".join(lines), indent=0)


def write_official(path: Path, notice: Notice) -> bool:
    """Put ``notice`` under ``calendar.official.<year>`` of the config at ``path``; True if it replaced one.

    A round trip: comments, key order and quoting stay. The result is loaded again before it
    replaces the file (atomically), so a file this would break is left as it was.
    """
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.width = 100
    data = yaml.load(path.read_text(encoding="utf-8")) or CommentedMap()
    calendar = data.get("calendar")
    if not isinstance(calendar, CommentedMap):
        calendar = data["calendar"] = CommentedMap()
    official = calendar.get("official")
    if not isinstance(official, CommentedMap):
        official = calendar["official"] = CommentedMap()
    official.fa.set_block_style()
    replaced = notice.year in official
    trailing = _trailing_lines(official[notice.year]) if replaced else []
    entry = CommentedMap()
    entry["holidays"] = _listed(notice.holidays)
    entry["workdays"] = _listed(notice.workdays, "调休上班")
    official[notice.year] = entry
    _rehome(data, calendar, trailing)
    if not replaced:
        title = f"国务院办公厅关于{notice.year}年部分节假日安排的通知 (main.py holidays import)"
        official.yaml_set_comment_before_after_key(notice.year, before=title, indent=4)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(buffer.getvalue())
        load_config(Path(scratch))
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return replaced


__all__ = ["FESTIVAL_TEXT", "cmd_holidays", "moved_occurrences", "write_official"]
