"""``ics --out``: worker processes, progress, atomic writes, only changed files rewritten (issue 12)."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import cli.ics_out
from cli import ics_out
from cli.ics_out import Progress, write_if_changed
from tests.conftest import CliResult
from tests.test_feeds_on_demand import DUTY, site


def files(out: Path) -> dict[str, tuple[int, int]]:
    """Each written file's (inode, mtime in ns): a rewrite (temp + rename) gives a new inode."""
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*.ics")}


@pytest.mark.slow
def test_only_the_feeds_a_change_reaches_are_rewritten(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    config = site(tmp_path / "site", language="en")
    out = tmp_path / "out"
    args = ("ics", "--config", str(config), "--from", "2025-01-01", "--to", "2025-06-30", "--out", str(out))
    first = cli(*args, "--jobs", "2")
    assert first.code == 0, first.err
    before = files(out)
    assert first.out.startswith(f"wrote {len(before)} feed(s) to {out}")
    assert re.search(rf"^{len(before)} of {len(before)} feeds$", first.err, re.M)  # plain lines: not a terminal
    assert list(out.rglob("*.tmp")) == []

    again = cli(*args, "--jobs", "2")
    assert again.code == 0, again.err
    assert again.out.splitlines() == [f"wrote 0 feed(s) to {out} (2025-01-01 to 2025-06-30)",
                                      f"{len(before)} feed(s) unchanged, not rewritten"]
    assert files(out) == before  # not one file touched

    rules = config.parent / "rules" / "000-bayingolin-2024.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(re.sub(rf"(- id: {re.escape(DUTY)}\n    title: )", r"\1(已调整)", text, count=1),
                     encoding="utf-8")
    changed = cli(*args, "--jobs", "1")
    assert changed.code == 0, changed.err
    after = files(out)
    rewritten = {name for name in after if after[name] != before[name]}
    holding = {name for name in after if f"UID:{DUTY}/".encode() in (out / name).read_bytes().replace(b"\r\n ", b"")}
    assert rewritten == holding  # exactly the files with that duty's events
    assert {"all.ics", f"obligation/{DUTY}.ics", "level/township.ics", "unit/bz.korla.tuanjie.ics"} <= rewritten
    assert "unit/bz.korla.ics" not in rewritten
    assert changed.out.startswith(f"wrote {len(rewritten)} feed(s)")


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "unit" / "a.ics"
    assert write_if_changed(path, b"old")
    assert not write_if_changed(path, b"old")  # the same bytes: not written again

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cli.ics_out.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_if_changed(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.ics"]
    monkeypatch.undo()
    assert write_if_changed(path, b"new")
    assert path.read_bytes() == b"new"


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    plain = io.StringIO()
    progress = Progress(plain, "en", tty=False)
    progress.start(100)
    for _ in range(50):
        progress.advance(2)
    progress.done()
    lines = plain.getvalue().splitlines()
    assert lines[0] == "0 of 100 feeds"
    assert lines[-1] == "100 of 100 feeds"
    assert len(lines) == 11  # one every tenth of the way
    bar = io.StringIO()
    progress = Progress(bar, "zh-CN", tty=True)
    progress.start(4)
    progress.advance(1)
    progress.advance(3)
    progress.done()
    drawn = bar.getvalue()
    assert drawn.count("\r") == 3
    assert drawn.endswith("] 已处理4/4个日历\n")
    assert "\r[" + "#" * 7 + "." * 23 + "] 已处理1/4个日历" in drawn


def test_the_store_is_migrated_before_the_workers_fork(cli: Callable[..., CliResult], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: forked workers each migrating a fresh SQLite file at once failed now and then with
    "database is locked" (seen in tests/test_ics.py's export); the parent migrates it first."""
    config = site(tmp_path / "site", language="en")
    database = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    seen: list[set[str]] = []
    real = ics_out._results

    def results(planned: list, jobs: int):  # type: ignore[no-untyped-def]
        with sqlite3.connect(database) as connection:  # what a worker would find when it starts
            seen.append({row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")})
        return real(planned, 1)

    monkeypatch.setattr(ics_out, "_results", results)
    result = cli("ics", "--config", str(config), "--from", "2025-01-01", "--to", "2025-01-31",
                 "--out", str(tmp_path / "out"), "--jobs", "2")
    assert result.code == 0, result.err
    assert len(seen) == 1
    assert {"alembic_version", "event_versions"} <= seen[0]
