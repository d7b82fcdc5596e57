"""Several ``serve`` instances on one PostgreSQL store (issue 12, "more than one machine").

Real processes: exactly one plans (the holder of the planner lock, store.leader), all of them
serve the same bytes, and when the planner is killed (SIGKILL) a standby takes over within the
configured ``reminders.standby_seconds``. Nothing sleeps in place of a condition: each step polls
``/healthz`` or the processes' logs against a deadline.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from service import rulesync
from tests.conftest import ROOT
from tests.liveserver import FrozenClock, free_port, running
from tests.test_dispatch_processes import delivered, seed

pytestmark = [pytest.mark.slow, pytest.mark.network]

SAMPLE = ROOT / "tests" / "data" / "rules" / "sample.yaml"
STANDBY = 1  # reminders.standby_seconds: how often a standby looks for a free planner lock
PLANNED = "planned reminders until"  # what service.engine logs after each planning run


def write_site(root: Path, url: str, journal: Path | None = None) -> Path:
    """A config on ``url`` with a copy of the sample rules, two log-channel subscribers and the log
    channel's journal (``journal``, else ``journal.jsonl`` beside the config: every delivery, shared by
    the instances). The config's text is part of the rules' fingerprint: instances share one."""
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "rules" / "sample.yaml").write_bytes(SAMPLE.read_bytes())
    config = root / "config.yaml"
    config.write_text(
        "timezone: Asia/Shanghai\nrules: [rules/*.yaml]\ncalendar: {beyond_dataset: weekends_only}\n"
        f"database_url: '{url}'\n"
        "server: {public_url: 'http://duties.test'}\n"  # links are part of the bytes: one public URL for all
        "feeds: {months_back: 2, months_ahead: 10}\n"
        f"reminders: {{standby_seconds: {STANDBY}, horizon_days: 120}}\n"
        f"notifiers: {{log: {{journal: '{journal or root / 'journal.jsonl'}'}}}}\n"
        "subscribers:\n"
        "  - {name: 测试镇, channel: log, address: town, subscriptions: [{unit: cty.town}]}\n"
        "  - {name: 测试县, channel: log, address: county, subscriptions: [{unit: cty, children: true}]}\n",
        encoding="utf-8")
    return config


@dataclass
class Instance:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def health(self) -> dict[str, object]:
        return httpx.get(self.url + "/healthz", timeout=5).json()  # type: ignore[no-any-return]


def wait_for(what: str, ok: Callable[[], bool], seconds: float, *instances: Instance) -> float:
    """Poll ``ok`` until it holds; the seconds it took. Fails at the deadline with the logs."""
    start = time.monotonic()
    while True:
        try:
            if ok():
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        for i in instances:
            assert i.proc.poll() is None or i.proc.returncode == -signal.SIGKILL, f"{i.name} exited: {i.output()}"
        if time.monotonic() - start > seconds:
            logs = "\n".join(f"--- {i.name}:\n{i.output()[-3000:]}" for i in instances)
            raise AssertionError(f"not within {seconds} s: {what}\n{logs}")
        time.sleep(0.05)


def environment() -> dict[str, str]:
    """This environment without the tests' DATABASE_URL (it would override the config's)."""
    return {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "PYTHONPATH": str(ROOT)}


@contextmanager
def instances(config: Path, tmp: Path, names: list[str]) -> Iterator[dict[str, Instance]]:
    env = environment()
    started: dict[str, Instance] = {}
    try:
        for name in names:  # all at once, on a fresh schema: they also race to migrate it
            started[name] = start(config, tmp, name, env)
        for i in started.values():
            wait_for(f"{i.name} answers", lambda i=i: i.health()["status"] in ("ok", "degraded"), 90,  # type: ignore[misc]
                     *started.values())
        yield started
    finally:
        for i in started.values():
            if i.proc.poll() is None:
                i.proc.send_signal(signal.SIGINT)
        for i in started.values():
            try:
                i.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                i.proc.kill()
                i.proc.wait()


def start(config: Path, tmp: Path, name: str, env: dict[str, str]) -> Instance:
    port, log = free_port(), tmp / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--config", str(config),
                                 "--port", str(port)], cwd=tmp, stdout=out, stderr=subprocess.STDOUT, env=env)
    return Instance(name, proc, f"http://127.0.0.1:{port}", log)


def planners(group: dict[str, Instance]) -> list[str]:
    return sorted(name for name, i in group.items() if i.proc.poll() is None and i.health()["planner"] is True)


def same_feeds(a: Instance, b: Instance) -> None:
    for path in ("/feeds/unit/cty.town.ics", "/feeds/unit/pref.ics?children=1", "/feeds/all.ics",
                 "/feeds/obligation/t.report.ics"):
        ra, rb = httpx.get(a.url + path, timeout=30), httpx.get(b.url + path, timeout=30)
        assert ra.status_code == rb.status_code == 200, (path, ra.text, rb.text)
        assert ra.content == rb.content, path
        assert ra.headers["etag"] == rb.headers["etag"], path
        assert b"BEGIN:VEVENT" in ra.content, path


def test_one_planner_takeover_after_sigkill_and_same_feeds(postgresql_url: str, tmp_path: Path) -> None:
    """Two instances and a standby on one PostgreSQL: one plans, the others only dispatch and serve;
    every one serves the same bytes (same ETag); reminders due are delivered once each; the planner
    killed with SIGKILL is replaced by another within the configured standby_seconds, which plans at
    once; a restarted instance is a standby."""
    config = write_site(tmp_path, postgresql_url)
    with instances(config, tmp_path, ["a", "b", "c"]) as group:
        wait_for("exactly one planner", lambda: len(planners(group)) == 1, 30, *group.values())
        [leader] = planners(group)
        others = [i for name, i in group.items() if name != leader]
        wait_for("the planner plans", lambda: PLANNED in group[leader].output(), 30, *group.values())
        for i in others:
            assert PLANNED not in i.output(), i.output()
            assert i.health()["planner"] is False
        same_feeds(group["a"], group["b"])
        same_feeds(group["b"], group["c"])
        keys = seed(postgresql_url, 150, dt.datetime.now(dt.UTC))  # due now: every instance dispatches
        journal = tmp_path / "journal.jsonl"
        wait_for("every reminder delivered", lambda: set(delivered(journal)) >= keys, 60, *group.values())
        assert max(delivered(journal).values()) == 1  # none twice

        group[leader].proc.send_signal(signal.SIGKILL)
        group[leader].proc.wait(timeout=10)
        took = wait_for("a standby takes over", lambda: len(planners(group)) == 1, 10 * STANDBY + 10,
                        *group.values())
        [successor] = planners(group)
        assert successor != leader
        # the lock is free the moment the killed session ends; the standby's next check takes it
        assert took <= STANDBY + 3, f"took {took:.1f} s with standby_seconds {STANDBY}"
        print(f"takeover after SIGKILL: {took:.2f} s (standby_seconds {STANDBY})")  # docs/benchmarks.md
        wait_for("the successor plans at once", lambda: PLANNED in group[successor].output(), 30, *group.values())
        assert sum(PLANNED in i.output() for name, i in group.items() if name != leader) == 1

        env = environment()
        group["d"] = start(config, tmp_path, "d", env)  # the killed one's replacement
        wait_for("d answers", lambda: group["d"].health()["planner"] is False, 90, *group.values())
        assert planners(group) == [successor]
        same_feeds(group[successor], group["d"])


def two_sites(tmp: Path, url: str) -> tuple[Path, Path]:
    """Two machines' worth of config and rules (each its own copy) on one store, polling every second."""
    configs = []
    for name in ("a", "b"):
        config = write_site(tmp / name, url, tmp / "journal.jsonl")
        config.write_text(config.read_text(encoding="utf-8").replace(
            "server: {public_url: 'http://duties.test'}", "server: {public_url: 'http://duties.test', "
            "rules_poll_seconds: 1}"), encoding="utf-8")
        configs.append(config)
    return configs[0], configs[1]


def edit_rules(config: Path, old: str, new: str) -> None:
    path = config.parent / "rules" / "sample.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_reload_on_one_instance_reaches_the_other(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two apps on one store, each reading its own copy of the rules and watching no files (as on a
    network share whose changes inotify does not see): both serve the same bytes; a reload on A
    reaches B within rules_poll_seconds (+ slack); B whose files lag behind says so in /healthz and
    catches up when they arrive."""
    monkeypatch.setattr(rulesync, "RETRY", dt.timedelta(seconds=0.5))
    config_a, config_b = two_sites(tmp_path, url)
    clock = FrozenClock(dt.datetime(2025, 2, 3, 2, 0, tzinfo=dt.UTC))
    feed = "/feeds/obligation/t.report.ics"
    with running(config_a, clock) as live_a, running(config_b, clock) as live_b, \
            httpx.Client(base_url=live_a.url, timeout=30) as a, httpx.Client(base_url=live_b.url, timeout=30) as b:
        service_a = live_a.service
        ha, hb = a.get("/healthz").json(), b.get("/healthz").json()
        assert ha["rules_fingerprint"] == hb["rules_fingerprint"]
        assert ha["rules_generation"] == hb["rules_generation"] == 1
        for path in (feed, "/feeds/unit/cty.town.ics", "/feeds/all.ics"):
            ra, rb = a.get(path), b.get(path)
            assert ra.content == rb.content, path
            assert ra.headers["etag"] == rb.headers["etag"], path
        before = a.get(feed).content

        for config in (config_a, config_b):  # the deployment puts the new file on both machines
            edit_rules(config, "month: 3, day: 1,", "month: 3, day: 10,")
        assert b.get(feed).content == before  # B has not noticed: it watches no files
        assert service_a.reload()  # what A's watcher, the bot's /reload or the review page does
        changed = a.get(feed).content
        assert changed != before
        took = wait_until(lambda: b.get(feed).content == changed, 1 + 4)
        hb = b.get("/healthz").json()
        assert hb["rules_generation"] == a.get("/healthz").json()["rules_generation"] == 2, took
        assert b.get(feed).headers["etag"] == a.get(feed).headers["etag"]

        edit_rules(config_a, "month: 3, day: 10,", "month: 3, day: 12,")  # this time B's copy lags
        assert service_a.reload()
        wait_until(lambda: b.get("/healthz").json()["status"] == "degraded", 5)
        assert "loaded other rules (generation 3" in " ".join(b.get("/healthz").json()["reasons"])
        assert b.get(feed).content == changed  # still its own rules
        edit_rules(config_b, "month: 3, day: 10,", "month: 3, day: 12,")  # the file arrives
        wait_until(lambda: b.get(feed).content == a.get(feed).content, 5)
        assert b.get("/healthz").json()["status"] == "ok"
        assert b.get("/healthz").json()["rules_generation"] == 3


def wait_until(ok: Callable[[], bool], seconds: float) -> float:
    start = time.monotonic()
    while not ok():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start
