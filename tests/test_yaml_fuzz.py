"""A seeded mutation fuzz test: no rules or config file, however broken, is an internal error.

Variants of the shipped files (small slices of rules/*.yaml, whole config.yaml) are mutated:
lines deleted, duplicated, swapped and re-indented, tabs inserted, scalars replaced by odd
values (huge integers, tags, anchors and aliases, control characters, other scripts' digits,
deep nesting, alias bombs), truncated, bytes flipped. Each goes through the function that
``python main.py validate`` uses and must end in success or in placed problems
(:class:`ValidationFailed`, exit 2), never anything else, within 2 seconds. The worst cases
also run as real processes.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from obligations.errors import ValidationFailed
from obligations.loader import check_config_references, load_config, load_rules
from obligations.ruleset import RuleSet
from obligations.yamlsource import load_yaml
from scheduler.workdays import calendar_from_config
from tests.conftest import ROOT

SEED = 20240917
RULES_VARIANTS = 1700
CONFIG_VARIANTS = 500
LIMIT_SECONDS = 2.0

BOMB = "lol:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
)
DEEP_FLOW = "[" * 5000 + "]" * 5000
DEEP_BLOCK = "".join("  " * i + "- \n" for i in range(400))

ODD_VALUES = [
    "9" * 5000, "-" + "9" * 4400, "0x_", "0o_", "0x" + "f" * 5000, "1_000_", "!!int x", "!!int 0x_",
    "!!float x", "!!bool maybe", "!!null x", "!!str", "!!set {a, b}", "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1]", "!!binary aGVsbG8=", "!!binary @@@", "!!timestamp 2024-13-45", "!!timestamp x",
    "!!python/object:os.system x", "!!python/name:os.system", "!<tag:yaml.org,2002:int> 5", "!local x",
    "!!map [a]", "!!seq {a: 1}", "&a x", "*a", "*undefined", "&a [*a]", "\x07", "\x00", "\x1b[31m",
    "a\x85b", "\u2028", "\ufeff", "١٢٣", "２０２４", "߂", "Ⅻ", "1e400", "-.inf", ".nan", "99999999",
    "-1", "0", "2024-02-30", "9999-12-31", "0001-01-01", "2024-02-29T25:00:00", "~", "null", "{", "[",
    "'", '"', "? x", "%TAG ! x", "---", "...", "|", ">", "@", "`", "{a: 1, a: 2}", "[a, b]",
    "{[a]: 1}", "{{a: 1}: 2}", "FREQ=HOURLY", "FREQ=DAILY;BYHOUR=1,2", "FREQ=MINUTELY",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "FREQ=WEEKLY;COUNT=99999999", "FREQ=DAILY;INTERVAL=0",
    "FREQ=MONTHLY;BYSETPOS=400;BYDAY=MO", "FREQ=YEARLY;BYWEEKNO=60", DEEP_FLOW, "{" * 3000,
    "x" * 20000, "'" + "x" * 10000, "!!str " + "9" * 5000,
]
ODD_KEYS = ["? [a, b]", "[a, b]", "{a: 1}", "1", "null", "~", "!!set {a}", "<<", "&k key", "*k", "9" * 5000,
            "'\x07'", "!!binary aGk="]
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\ud800", "\ufffe"]


# -- bases: small slices of the shipped files ------------------------------------------------------


def _items(lines: list[str]) -> list[list[str]]:
    """A top-level sequence's lines split into its items (comments go with the item above)."""
    items: list[list[str]] = []
    for line in lines:
        if line.startswith("  - "):
            items.append([line])
        elif items:
            items[-1].append(line)
    return items


@dataclass(frozen=True)
class Base:
    name: str
    text: str


@cache
def rules_bases() -> list[Base]:
    """Slices of each rules file: its header, two obligations and the units they need."""
    rng = random.Random(SEED)
    bases: list[Base] = []
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        top = [i for i, line in enumerate(lines) if re.match(r"[a-z]", line)]
        start = top[0]
        units_at = next(i for i in top if lines[i].startswith("units:"))
        obs_at = next(i for i in top if lines[i].startswith("obligations:"))
        head = lines[start:units_at]
        unit_items = _items(lines[units_at + 1:obs_at])
        ob_items = _items(lines[obs_at + 1:])
        units = load_yaml("".join(lines), path.name).data["units"]
        assert len(units) == len(unit_items)
        by_id = {u["id"]: (u, item) for u, item in zip(units, unit_items, strict=True)}
        for _ in range(4):
            chosen = rng.sample(ob_items, 2)
            text = "".join(line for item in chosen for line in item)
            levels = set(re.findall(r"level: (\w+)", text))
            needed = {uid for uid in by_id if re.search(rf"(?<![\w.-]){re.escape(uid)}(?![\w.-])", text)}
            needed |= {uid for uid, (u, _) in by_id.items() if u["level"] in levels}
            for uid in list(needed):
                parent = by_id[uid][0].get("parent")
                while parent in by_id and parent not in needed:
                    needed.add(parent)
                    parent = by_id[parent][0].get("parent")
            kept = [line for uid, (_, item) in by_id.items() if uid in needed for line in item]
            body = "".join(head) + "units:\n" + "".join(kept) + "obligations:\n" + text
            bases.append(Base(f"{path.stem}", body))
    return bases


# -- mutations ---------------------------------------------------------------------------------------


def _scalar_spans(line: str) -> list[tuple[int, int]]:
    """Where values stand in a line: after ': ' or '- ', or inside a flow mapping."""
    return [(m.start(1), m.end(1)) for m in re.finditer(r"(?:: |- |\{|, )([^,{}\[\]\n#:]+)", line)]


def _encode(text: str) -> bytes:
    """UTF-8, with lone surrogates written as such (invalid UTF-8, on purpose) and undecodable
    bytes of an earlier mutation kept as they were."""
    return text.encode("utf-8", "surrogateescape") if any("\udc80" <= ch <= "\udcff" for ch in text) \
        else text.encode("utf-8", "surrogatepass")


def mutate(text: str, rng: random.Random) -> bytes:
    lines = text.splitlines(keepends=True) or ["\n"]
    kind = rng.randrange(14)
    i = rng.randrange(len(lines))
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(i, lines[i])
    elif kind == 2:
        j = rng.randrange(len(lines)) if rng.random() < 0.5 else min(i + 1, len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 3:
        delta = rng.choice([-4, -2, -1, 1, 2, 3])
        lines[i] = " " * delta + lines[i] if delta > 0 else lines[i][min(-delta, len(lines[i]) - len(
            lines[i].lstrip(" "))):]
    elif kind == 4:
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + "\t" + lines[i][at:]
    elif kind in (5, 6, 7):
        spans = [(k, s) for k in rng.sample(range(len(lines)), min(8, len(lines))) for s in _scalar_spans(lines[k])]
        value = rng.choice(ODD_VALUES)
        if spans:
            k, (a, b) = rng.choice(spans)
            lines[k] = lines[k][:a] + value + lines[k][b:]
        else:
            lines[i] = value + "\n"
    elif kind == 8:
        m = re.match(r"(\s*(?:- )?)([\w.]+):", lines[i])
        if m:
            lines[i] = m.group(1) + rng.choice(ODD_KEYS) + lines[i][m.end(2):]
        else:
            lines.insert(i, rng.choice(ODD_KEYS) + ": x\n")
    elif kind == 9:
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice(CONTROL) + lines[i][at:]
    elif kind == 10:
        lines.append(rng.choice([BOMB, DEEP_FLOW + "\n", "deep: " + DEEP_FLOW + "\n", "deep:\n" + DEEP_BLOCK,
                                 "x: &a [1]\n" + "y: [" + ", ".join(["*a"] * 500) + "]\n"]))
    elif kind == 11:
        data = _encode("".join(lines))
        return data[: rng.randrange(len(data) + 1)]
    elif kind == 12:
        data = bytearray(_encode("".join(lines)))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    else:  # two mutations at once
        return mutate(mutate(text, rng).decode("utf-8", "surrogateescape"), rng)
    return _encode("".join(lines))


# -- what validate does -------------------------------------------------------------------------------


@cache
def _shipped_rules(paths: tuple[Path, ...]) -> RuleSet:
    return load_rules(list(paths))


def validate_rules(path: Path) -> None:
    """``python main.py validate FILE``: the config (shipped) and the rules file."""
    load_rules([path])


def _readable(path: Path) -> bool:
    """A file the cache may stand in for; a name the OS refuses (too long) goes to the loader."""
    try:
        return path.is_file()
    except OSError:
        return False


def validate_config(path: Path) -> None:
    """``python main.py validate --config FILE``, with the rules it names loaded once per set."""
    loaded = load_config(path)
    paths = tuple(loaded.rules_paths())
    rules = _shipped_rules(paths) if all(_readable(p) for p in paths) else load_rules(list(paths))
    problems = check_config_references(loaded, rules)
    if problems:
        raise ValidationFailed(problems)
    calendar_from_config(loaded.config.calendar)
    ZoneInfo(loaded.config.timezone)


def variants() -> list[tuple[str, str, bytes]]:
    rng = random.Random(SEED)
    out: list[tuple[str, str, bytes]] = []
    bases = rules_bases()
    for n in range(RULES_VARIANTS):
        base = bases[n % len(bases)]
        out.append(("rules", f"{base.name}-{n}", mutate(base.text, rng)))
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    out.extend(("config", f"config-{n}", mutate(config, rng)) for n in range(CONFIG_VARIANTS))
    return out


def run_variant(tmp: Path, kind: str, data: bytes) -> tuple[str, float]:
    """'ok' or 'problems', and the seconds it took; anything else raises."""
    if kind == "rules":
        path = tmp / "mutant.yaml"
        path.write_bytes(data)
        check = validate_rules
    else:
        path = tmp / "config.yaml"
        path.write_bytes(data)
        check = validate_config
    start = time.perf_counter()
    problems = None
    try:
        check(path)
    except ValidationFailed as exc:
        problems = exc.problems
    seconds = time.perf_counter() - start
    if problems is None:
        return "ok", seconds
    assert problems
    for p in problems:
        assert p.message
        assert "\n" not in p.message
        assert str(p).startswith(p.file)
    return "problems", seconds


def test_the_bases_are_valid(tmp_path: Path) -> None:
    for base in rules_bases():
        path = tmp_path / "base.yaml"
        path.write_text(base.text, encoding="utf-8")
        load_rules([path])


@pytest.mark.slow
def test_mutants_end_in_success_or_placed_problems(tmp_path: Path) -> None:
    (tmp_path / "rules").symlink_to(ROOT / "rules")
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    for kind, name, data in variants():
        try:
            outcome, seconds = run_variant(tmp_path, kind, data)
        except Exception as exc:  # the point: report every kind at once
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        outcomes[outcome] += 1
        slowest = max(slowest, (seconds, name))
        if seconds > LIMIT_SECONDS:
            failures.append(f"{name}: took {seconds:.1f} s")
    assert not failures, f"{len(failures)} bad outcome(s):\n" + "\n".join(failures[:40])
    assert sum(outcomes.values()) >= 2000
    assert outcomes["ok"] > 0
    assert outcomes["problems"] > 0
    print(f"\nfuzz: {dict(outcomes)}, slowest {slowest[0]:.2f} s ({slowest[1]})")


# -- the worst cases, as real processes -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("bomb", "version: 1\n" + BOMB, "alias bomb"),
    ("deep", "version: 1\ndeep: " + DEEP_FLOW + "\n", "nested"),
    ("huge-int", "version: 1\ndocument: {id: x, title: " + "9" * 5000 + "}\n", "digits"),
])
@pytest.mark.slow
def test_worst_cases_as_processes(tmp_path: Path, name: str, text: str, needle: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "validate", "--lang", "en", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=30, check=False)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    assert re.match(rf"{re.escape(path.name)}:\d+:\d+: .*{needle}", proc.stderr), proc.stderr
    assert elapsed < LIMIT_SECONDS, f"{elapsed:.2f} s"
