"""Validation: every broken file in tests/data/broken gives exactly the messages it expects.

Each file ends with ``# expect: file:line:column: message`` lines, the exact
output of ``python main.py validate FILE``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from service.live import LiveRules
from tests.conftest import DATA, ROOT, CliResult

BROKEN = sorted((DATA / "broken").glob("*.yaml"))


def expected_lines(path: Path) -> list[str]:
    return [line.removeprefix("# expect: ") for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("# expect: ")]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_reports_its_place_and_fix(path: Path, cli: Callable[..., CliResult],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rel = path.relative_to(ROOT).as_posix()
    result = cli("validate", rel, "--lang", "en")  # the expected lines are the English catalog's
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[-1] == f"{len(lines) - 1} problem(s) found"
    assert lines[:-1] == expected_lines(path)
    assert "Traceback" not in result.err


def test_every_problem_of_every_file_at_once(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    files = [p.relative_to(ROOT).as_posix() for p in BROKEN]
    result = cli("validate", *files)
    assert result.code == 2
    reported = {line.split(":")[0] for line in result.err.splitlines()[:-1]}
    assert reported == set(files)


def test_valid_file_exits_zero(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("validate", "tests/data/rules/sample.yaml", "--lang", "en")
    assert result.code == 0, result.err
    assert result.out.startswith("ok: 1 file(s), 5 units, 3 obligations")
    assert cli("validate", "tests/data/rules/sample.yaml").out.startswith("通过:1个文件,5个单位,3项职责")


def test_the_broken_folder_covers_what_the_issue_lists() -> None:
    text = "\n".join(line for p in BROKEN for line in expected_lines(p))
    for needle in ["did you mean 'pref.korla'", "duplicate obligation id", "February has 29 days",
                   "a week has 5 working days", "not a valid RFC 5545 rule", "expected a whole number",
                   "unknown key 'schedul'"]:
        assert needle in text


@pytest.mark.slow
def test_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    """The installed entry point, not just the function: bad input never prints a traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe not utf-8")
    missing = tmp_path / "missing.yaml"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "validate", "--lang", "en", str(bad), str(missing)],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not UTF-8 text" in proc.stderr
    assert "missing.yaml: file not found" in proc.stderr


def test_bad_config_is_reported_with_its_place(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("timezone: Asia/Shanghia\ncalendar:\n  beyond_dataset: guess\n", encoding="utf-8")
    result = cli("validate", "--config", str(config), "--lang", "en")
    assert result.code == 2
    assert ":1:11: timezone: unknown time zone 'Asia/Shanghia'" in result.err
    assert ":3:19: beyond_dataset: 'guess' is not one of error, predict, weekends_only" in result.err


def test_config_problems_name_their_key(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: errors under calendar.official.<year> lost the key name and the valid keys."""
    monkeypatch.chdir(ROOT)
    result = cli("validate", "--config", "tests/data/broken-config.yaml", "--lang", "en")
    assert result.err.splitlines()[:2] == [
        "tests/data/broken-config.yaml:5:30: holidays: 2027-02-30 is not a date: February 2027 has 28 days; "
        "use a day from 1 to 28",
        "tests/data/broken-config.yaml:6:7: unknown key 'workday'; did you mean 'workdays'? "
        "(valid keys: holidays, workdays)",
    ]


@pytest.mark.parametrize(("config", "expected"), [
    ("tests/data/bad-refs-config.yaml", [
        "tests/data/bad-refs-config.yaml:7:16: unit: unknown unit id 'cty.twn'; did you mean 'cty.town'?",
        "tests/data/bad-refs-config.yaml:10:109: obligation: unknown obligation id 't.rprt'; "
        "did you mean 't.report'?",
    ]),
    ("tests/data/bad-private-config.yaml", [
        "tests/data/bad-private-config.yaml:4:7: private: use one of unit, level or obligation, not unit and level",
    ]),
])
def test_config_names_only_units_and_duties_that_exist(cli: Callable[..., CliResult],
                                                       monkeypatch: pytest.MonkeyPatch, config: str,
                                                       expected: list[str]) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("validate", "--config", config, "--lang", "en")
    assert result.code == 2
    assert result.err.splitlines()[:-1] == expected


@pytest.mark.parametrize(("config", "expected"), [
    ("bad-reminders", ["tests/data/bad-reminders-config.yaml:3:24: after: '2wd': an escalation delay is in days "
                       "(d), weeks (w) or hours (h), e.g. 3d"]),
    ("dup-subscribers", ["tests/data/dup-subscribers-config.yaml:3:3: subscribers: subscribers 1 and 2 both use "
                         "log:x; merge their subscriptions into one subscriber"]),
    ("unconfigured-channel", [
        "tests/data/unconfigured-channel-config.yaml:3:22: channel: channel 'email' is not configured; add it "
        "under notifiers: (configured: log)",
        "tests/data/unconfigured-channel-config.yaml:5:24: channel: channel 'wecom' is not configured; add it "
        "under notifiers: (configured: log)",
    ]),
])
def test_reminder_settings_are_checked(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch,
                                       config: str, expected: list[str]) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("validate", "--config", f"tests/data/{config}-config.yaml", "--lang", "en")
    assert result.code == 2
    assert result.err.splitlines()[:-1] == expected


def test_channel_settings_are_checked_where_they_stand(cli: Callable[..., CliResult],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo under a channel was reported without its place (``config:0:0``), one problem at a time, and
    an unknown channel name only when ``serve`` started: now each is placed and lists the valid keys."""
    monkeypatch.chdir(ROOT)
    result = cli("validate", "--config", "tests/data/bad-channels-config.yaml", "--lang", "en")
    assert result.code == 2
    assert result.err.splitlines()[:-1] == [
        "tests/data/bad-channels-config.yaml:3:67: unknown key 'pasword_env'; did you mean 'password_env'? "
        "(valid keys: host, port, security, username, password_env, from_address, from_name, timeout_seconds, "
        "validate_certs, ca_file)",
        "tests/data/bad-channels-config.yaml:6:47: unknown key 'mentions_all'; did you mean 'mention_all'? "
        "(valid keys: webhook_env, mention, mention_all, mention_ids)",
        "tests/data/bad-channels-config.yaml:9:29: webhook_env: must be the NAME of an environment variable "
        "(letters, digits and _), not its value: webhook URLs and signing secrets never go in config.yaml",
        "tests/data/bad-channels-config.yaml:10:3: unknown key 'wechat' (valid keys: log, email, telegram, wecom, "
        "dingtalk, feishu, webhook)",
    ]
    assert "access_token=abc" not in result.err  # a secret put where its variable's name goes is not echoed


def test_every_channel_with_its_settings_validates(cli: Callable[..., CliResult],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("validate", "--config", "tests/data/channels-config.yaml", "--lang", "en")
    assert result.code == 0, result.err
    assert result.out.startswith("ok: ")


@pytest.mark.parametrize("bad", [
    "version: 1\nlol:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  {b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)),
    "version: 1\nunits: " + "[" * 5000 + "]" * 5000 + "\n",
    "version: !!set {1}\n",
    "version: 1\ndocument: {id: x, title: " + "9" * 5000 + "}\n",
])
def test_a_live_reload_of_a_hostile_file_keeps_the_last_good_rules(tmp_path: Path, bad: str) -> None:
    """The live reload uses validate's loader: a bad file is refused at once, the rules stay."""


    rules = tmp_path / "rules.yaml"
    rules.write_text((DATA / "rules" / "sample.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("rules: [rules.yaml]\n", encoding="utf-8")
    live = LiveRules(config, lambda: dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    rules.write_text(bad, encoding="utf-8")
    start = time.perf_counter()
    assert not live.reload()
    assert time.perf_counter() - start < 2
    assert live.current.version == 1
    assert len(live.current.rules.obligations) == 3
    assert live.problems
    assert live.problems[0].file.endswith("rules.yaml")
    assert live.problems[0].line > 0
