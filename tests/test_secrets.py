"""No secret in any log line: the redaction helper on crafted records, and the real ``serve`` process
with every channel configured, at DEBUG, doing real work, its whole output searched for every secret.

Also the service's resilience around it: the Bot API URL in both forms, a bot that cannot start
(the feeds stay up, /healthz says ``degraded``), broken rules in /healthz.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

import redaction
from notifiers.base import PermanentError
from notifiers.telegram_urls import api_urls
from scheduler.planner import Planned
from store import open_store
from store.reminders import ReminderStore
from tests.conftest import DATA, ROOT
from tests.fake_telegram import fake_bot_api
from tests.liveserver import FrozenClock, free_port, make_site, running
from tests.robot_receivers import Robot, running_receivers
from tests.serveprocess import serving
from tests.smtp_servers import Authenticator, Recorder, smtp_server
from web.server import _bot, _engine

SAMPLE = DATA / "rules" / "sample.yaml"
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)

BOT_TOKEN = "7741852963:AAHk3-Secret_BotToken-xyz987654321"
WEBHOOK_SECRET = "tg-webhook-Secret_0123456789"
SMTP_USER = "robot@duties.test"
SMTP_PASSWORD = "smtp-Pa55word/with+chars=="
WECOM_KEY = "3f9a1c7e-5b2d-4e8f-9a6b-0c1d2e3f4a5b"
DING_TOKEN = "8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d"
DING_SECRET = "SECd41d8cd98f00b204e9800998ecf8427e0123456789abcdef"
FEISHU_TOKEN = "0e2a7c54-8b1d-4c3e-9f6a-5d4c3b2a1f0e"
FEISHU_SECRET = "lk4Q2xhc3NpZmllZA+/Zz09sekret"
HOOK_SECRET = "whsec-7f3e9a1b2c4d5e6f"
HOOK_URL_TOKEN = "hooktoken-5e6f7a8b9c"
FEED_TOKEN = "PrivFeedTok3n-abcdefghijklmnop"


def forms(secret: str) -> set[str]:
    """A secret as it could be written: raw, percent-encoded (both hex cases), form-encoded."""
    out = {secret, quote(secret, safe=""), quote_plus(secret)}
    out |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in out}
    return out


def hits(text: str, secrets: list[str]) -> list[tuple[str, str]]:
    """(secret, the line it is on) for every form of every secret found in ``text``."""
    found = []
    for line in text.splitlines():
        for secret in secrets:
            for form in forms(secret):
                if form in line:
                    found.append((secret, line))
    return found


# ----------------------------------------------------------------------------- the filter, on crafted records


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SMTP_PASSWORD_T", SMTP_PASSWORD)
    redaction.SECRETS.from_settings({"email": {"username": SMTP_USER, "password_env": "SMTP_PASSWORD_T"}})
    yield
    monkeypatch.delenv("SMTP_PASSWORD_T")


def record(msg: object, args: Any = None, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, exc_info)


def formatted(rec: logging.LogRecord) -> str:
    redaction.FILTER.filter(rec)
    return logging.Formatter("%(message)s").format(rec)


def test_filter_redacts_args_message_and_percent_formats(registered: None) -> None:
    url = httpx.URL(f"http://127.0.0.1:9/bot{BOT_TOKEN}/getUpdates")
    text = formatted(record('HTTP Request: %s %s "%s %d %s"', ("POST", url, "HTTP/1.1", 200, "OK")))
    assert text == 'HTTP Request: POST http://127.0.0.1:9/bot***/getUpdates "HTTP/1.1 200 OK"'
    # a secret split between the format and an argument, and dict-style arguments
    assert BOT_TOKEN.split(":")[1] not in formatted(record("bot%s:%s", tuple(BOT_TOKEN.split(":"))))
    assert formatted(record("%(path)s done", ({"path": f"/feeds/t/{FEED_TOKEN}.ics"},))) == "/feeds/t/<token> done"
    assert formatted(record(f"password {SMTP_PASSWORD} and {quote(SMTP_PASSWORD, safe='')}")) == \
        "password *** and ***"
    plain = base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()).decode()
    assert plain not in formatted(record("AUTH PLAIN %s", (plain,)))
    bad = record("bad format %d %s", (BOT_TOKEN,))  # logging would print msg and args raw
    assert BOT_TOKEN not in formatted(bad)
    # arguments stay arguments when redacting them one by one is enough (formatters that read args)
    kept = record("%s %s %d", ("GET", f"/feeds/t/{FEED_TOKEN}.ics", 200))
    redaction.FILTER.filter(kept)
    assert kept.args == ("GET", "/feeds/t/<token>", 200)


def test_filter_redacts_exception_text_and_drops_the_original(registered: None) -> None:
    try:
        raise RuntimeError(f"cannot reach https://api.example/bot{BOT_TOKEN}/getMe")
    except RuntimeError as exc:
        rec = record("polling failed", exc=exc)
    text = formatted(rec)
    assert "RuntimeError: cannot reach https://api.example/bot***/getMe" in text
    assert BOT_TOKEN not in text
    assert rec.exc_info is None  # nobody can format the original again


@pytest.mark.parametrize("path", [
    f"/feeds/t/{FEED_TOKEN}.ics", f"//feeds/t/{FEED_TOKEN}.ics", f"/Feeds/T/{FEED_TOKEN}.ics",
    f"/feeds%2Ft%2F{FEED_TOKEN}.ics", f"/%66eeds/t/{FEED_TOKEN}.ics", f"/feeds/./t/{FEED_TOKEN}.ics",
    f"http://h//FEEDS//t//{FEED_TOKEN}", f"GET /feeds/t/{quote(FEED_TOKEN[:3])}{FEED_TOKEN[3:]}.ics 200",
])
def test_every_spelling_of_a_feed_token_path(path: str) -> None:
    clean = redaction.redact(path)
    assert FEED_TOKEN[4:] not in clean
    assert "<token>" in clean


@pytest.mark.parametrize(("text", "expected"), [
    ("/done/12?s=0a1b2c3d4e5f", "/done/12?s=***"),
    ("https://oapi.dingtalk.com/robot/send?access_token=abc123456&timestamp=1&sign=a%2Bb",
     "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"),
    ("postgresql://u:hunter22@db/x", "postgresql://u:***@db/x"),
    ("headers={'Authorization': 'Bearer abc.def'}", "headers={'Authorization': 'Bearer ***'}"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/abcd-1234", "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
    (f"POST http://x/bot{quote(BOT_TOKEN, safe='')}/getMe", "POST http://x/bot***/getMe"),
    # regression: the value ran on to the next space, eating the "): " of a robot's error message
    ("wecom: cannot reach (http://x/send?key=abc123secret): HTTP 500",
     "wecom: cannot reach (http://x/send?key=***): HTTP 500"),
])
def test_shapes_of_secrets_nobody_registered(text: str, expected: str) -> None:
    assert redaction.redact(text) == expected


def test_install_covers_handlers_created_later(registered: None) -> None:
    redaction.install()
    stream = __import__("io").StringIO()
    handler = logging.StreamHandler(stream)  # created after install: no filter of its own
    logger = logging.getLogger("tests.later")
    logger.addHandler(handler)
    try:
        logger.warning("token %s", BOT_TOKEN)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "token ***\n"


def test_secrets_are_read_again_when_the_environment_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    redaction.SECRETS.add_env("ROTATING_KEY_T")
    monkeypatch.setenv("ROTATING_KEY_T", "first-key-123456")
    assert redaction.redact("k=first-key-123456") == "k=***"
    monkeypatch.setenv("ROTATING_KEY_T", "second-key-654321")
    assert redaction.redact("k=second-key-654321 first-key-123456") == "k=*** first-key-123456"


# ----------------------------------------------------------------------------- Bot API URL, bot failures, /healthz


@pytest.mark.parametrize("given", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot",
                                   "http://127.0.0.1:8081/bot/"])
def test_bot_api_url_in_both_forms(given: str) -> None:
    pass

    assert api_urls(given) == ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")


def test_bot_api_url_that_cannot_work_is_refused_with_the_fix(cli: Callable[..., Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:

    with pytest.raises(PermanentError, match="http://HOST:PORT"):
        api_urls("127.0.0.1:8081")
    monkeypatch.setenv("TELEGRAM_API_URL", "api.telegram.org")
    result = cli("validate", "--config", str(DATA / "sample-config.yaml"))
    assert result.code == 2
    assert "write it as https://api.telegram.org/bot or http://HOST:PORT" in result.err


def _bot_factory(clock: FrozenClock) -> Callable[[Any], Any]:
    pass

    return lambda service: _bot(service, _engine(service, clock), clock)


@pytest.mark.network
def test_a_bot_that_cannot_start_leaves_the_feeds_up_and_healthz_degraded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    clock = FrozenClock(NOW)
    with running(make_site(tmp_path, [SAMPLE]), clock, bot_factory=_bot_factory(clock)) as live:
        assert httpx.get(live.url + "/feeds/all.ics", timeout=10).status_code == 200
        deadline = time.monotonic() + 20
        while (health := httpx.get(live.url + "/healthz", timeout=10)).json()["channels"].get(
                "telegram", {}).get("state") != "failed":
            assert time.monotonic() < deadline, health.text
            time.sleep(0.05)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded"
        assert any(r.startswith("channel telegram: could not start (NetworkError") for r in body["reasons"])
        assert BOT_TOKEN not in health.text


@pytest.mark.network
def test_broken_rules_make_healthz_degraded_with_the_reason(tmp_path: Path) -> None:
    with running(make_site(tmp_path, [SAMPLE]), FrozenClock(NOW)) as live:
        ok = httpx.get(live.url + "/healthz", timeout=10).json()
        assert (ok["status"], ok["reasons"]) == ("ok", [])
        rules = live.root / "rules" / "sample.yaml"
        rules.write_text(rules.read_text(encoding="utf-8").replace("per: week", "per: weak"), encoding="utf-8")
        assert not live.service.reload()
        health = httpx.get(live.url + "/healthz", timeout=10)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded"
        assert body["rules_version"] == 1
        assert len(body["reasons"]) == 1
        assert body["reasons"][0].startswith("rules: 1 problem(s) in the files on disk, still serving version 1")
        assert "per: 'weak'" in body["reasons"][0]


# ----------------------------------------------------------------------------- the real process, every channel


def _seed(url: str, channels: dict[str, str], now: dt.datetime) -> None:
    """One reminder per channel, due a minute ago, for a duty a week ahead."""

    day = (now + dt.timedelta(days=7)).date()
    due = now - dt.timedelta(minutes=1)  # before now: planning never cancels it
    items = [Planned(f"t.report/cty/x|{channel}|1d|{day}", "reminder", "t.report/cty/x", "t.report", "cty", day,
                     None, channel, address, "zh-CN", "7d", due, due) for channel, address in channels.items()]
    store = open_store(url)
    try:
        ReminderStore(store).add(items, now)
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.network
def test_serve_with_every_channel_logs_no_secret(tmp_path: Path) -> None:

    recorder = Recorder()
    with fake_bot_api(BOT_TOKEN) as fake, running_receivers() as rx, smtp_server(
            recorder, auth_require_tls=False, authenticator=Authenticator(SMTP_USER, SMTP_PASSWORD)) as smtp:
        robots = rx.receivers
        robots.wecom[WECOM_KEY] = Robot("grp")
        robots.dingtalk[DING_TOKEN] = Robot("grp", secret=DING_SECRET)
        robots.feishu[FEISHU_TOKEN] = Robot("grp", secret=FEISHU_SECRET)
        robots.webhook["oa"] = Robot("oa", secret=HOOK_SECRET)
        digest = hashlib.sha256(FEED_TOKEN.encode()).hexdigest()
        config = make_site(tmp_path / "site", [SAMPLE], public_url=None, extra_config=f"""\
calendar: {{beyond_dataset: weekends_only}}
reminders: {{lease_seconds: 60}}
notifiers:
  telegram: {{timeout_seconds: 5}}
  email: {{host: 127.0.0.1, port: {smtp.port}, security: none, username: {SMTP_USER}, password_env: SMTP_PASSWORD_T,
           from_address: duty@duties.test, timeout_seconds: 5}}
  wecom: {{base_url: '{rx.url}/cgi-bin/webhook/send', robots: {{grp: {{webhook_env: WECOM_T}}}}}}
  dingtalk: {{base_url: '{rx.url}/robot/send', robots: {{grp: {{webhook_env: DING_T, secret_env: DING_SECRET_T}}}}}}
  feishu: {{base_url: '{rx.url}/open-apis/bot/v2/hook', robots: {{grp: {{webhook_env: FEISHU_T,
            secret_env: FEISHU_SECRET_T}}}}}}
  webhook: {{robots: {{oa: {{webhook_env: HOOK_T, secret_env: HOOK_SECRET_T}}}}}}
""")
        config.write_text(config.read_text(encoding="utf-8").replace(
            "feeds: {months_back: 2, months_ahead: 10}",
            f"feeds: {{months_back: 1, months_ahead: 2, private: [{{name: 值班, token_sha256: {digest}}}]}}"),
            encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
               "TELEGRAM_API_URL": fake.base_url.removesuffix("/bot"),  # the form without /bot
               "SMTP_PASSWORD_T": SMTP_PASSWORD, "WECOM_T": WECOM_KEY, "DING_T": DING_TOKEN,
               "DING_SECRET_T": DING_SECRET, "FEISHU_T": FEISHU_TOKEN, "FEISHU_SECRET_T": FEISHU_SECRET,
               "HOOK_T": f"{rx.url}/hook/oa?token={HOOK_URL_TOKEN}", "HOOK_SECRET_T": HOOK_SECRET}
        _seed(env["DATABASE_URL"], {"telegram": "4242", "email": "office@duties.test", "wecom": "grp",
                                    "dingtalk": "grp", "feishu": "grp", "webhook": "oa"}, dt.datetime.now(dt.UTC))
        with serving(config, tmp_path, env) as served:
            url = served.url
            health = served.wait(lambda: (h := served.healthz()) and h["channels"].get("telegram", {}).get("state")
                                 == "running" and h, "the bot to run")
            assert health["status"] == "ok", health
            served.wait(lambda: fake.calls("sendMessage"), "the telegram reminder")
            served.wait(lambda: recorder.received, "the e-mail reminder")
            for platform in ("wecom", "dingtalk", "feishu", "webhook"):
                served.wait(lambda p=platform: robots.of(p), f"the {platform} reminder")
            assert recorder.received[0].login == SMTP_USER.encode()
            text = fake.calls("sendMessage")[0]["params"]["text"]
            done = re.search(r"(/done/\d+)\?s=([0-9A-Za-z_-]+)", text)
            assert done, text
            signatures = [done.group(2)]
            assert httpx.get(f"{url}{done.group(1)}?s={done.group(2)}", timeout=10).status_code == 200
            httpx.get(f"{url}{done.group(1)}?s={done.group(2)}x", timeout=10)  # a forged one is logged too
            spellings = {f"/feeds/t/{FEED_TOKEN}.ics": 200, f"/feeds/t/%{ord(FEED_TOKEN[0]):02X}{FEED_TOKEN[1:]}.ics":
                         200, f"/feeds%2Ft%2F{FEED_TOKEN}.ics": None, f"//feeds/t/{FEED_TOKEN}.ics": None,
                         f"/Feeds/t/{FEED_TOKEN}.ics": None, f"/feeds/t/{FEED_TOKEN}x.ics": 404}
            for path, status in spellings.items():
                r = httpx.get(url + path, timeout=10)
                assert status is None or r.status_code == status, (path, r.status_code)
                assert r.status_code < 500, path
            fake.send_text(4242, "/help")  # the conversation: an update through polling, an answer back
            fake.wait_for("sendMessage", lambda c: "/help" not in str(c["params"].get("text")), timeout=20)
            health = served.healthz()
            assert health is not None
            assert health["status"] == "ok", health
    output = served.output()
    secrets = [BOT_TOKEN, BOT_TOKEN.split(":")[1], SMTP_PASSWORD,
               base64.b64encode(SMTP_PASSWORD.encode()).decode(),
               base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()).decode(),
               WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, FEISHU_SECRET, HOOK_SECRET, HOOK_URL_TOKEN,
               FEED_TOKEN, FEED_TOKEN[1:], *signatures]
    lines = output.splitlines()
    found = hits(output, secrets)
    print(f"scanned {len(lines)} log lines for {len(secrets)} secrets in {sum(len(forms(s)) for s in secrets)} "
          f"forms: {len(found)} hits")
    assert found == []
    # the redaction was exercised, not merely unneeded: the lines that used to leak are there, redacted
    assert re.search(r"HTTP Request: POST \S+/(bot)?\*\*\*/getUpdates", output), "httpx's request lines at DEBUG"
    for spelling in ("GET /feeds/t/<token>", "GET //feeds/t/<token>", "GET /Feeds/t/<token>"):
        assert spelling in output
    assert len(lines) > 100
    assert "Traceback" not in output


@pytest.mark.slow
@pytest.mark.network
def test_serve_in_webhook_mode_logs_no_secret(tmp_path: Path) -> None:
    """setWebhook carries the webhook secret (python-telegram-bot logs its parameters at DEBUG)."""

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with fake_bot_api(BOT_TOKEN) as fake:
        config = make_site(tmp_path / "site", [SAMPLE], public_url=None, extra_config=(
            "calendar: {beyond_dataset: weekends_only}\n"
            f"notifiers: {{telegram: {{webhook_url: '{url}/telegram/webhook'}}}}\n"))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
               "TELEGRAM_API_URL": fake.base_url, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}
        with serving(config, tmp_path, env, port=port) as served:
            served.wait(lambda: (h := served.healthz()) and h["channels"].get("telegram", {}).get("state") == "running",
                        "the bot to run")
            assert fake.calls("setWebhook")[0]["params"]["secret_token"] == WEBHOOK_SECRET
            update = {"update_id": 7, "message": {"message_id": 1, "date": int(time.time()), "text": "/help",
                                                  "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                                                  "chat": {"id": 4243, "type": "private"},
                                                  "from": {"id": 4243, "is_bot": False, "first_name": "李四"}}}
            r = httpx.post(url + "/telegram/webhook", json=update, timeout=10,
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
            assert r.status_code == 200
            fake.wait_for("sendMessage", lambda c: str(c["params"].get("chat_id")) == "4243", timeout=20)
    output = served.output()
    secrets = [BOT_TOKEN, BOT_TOKEN.split(":")[1], WEBHOOK_SECRET]
    found = hits(output, secrets)
    print(f"webhook mode: scanned {len(output.splitlines())} log lines for {len(secrets)} secrets: {len(found)} hits")
    assert found == []
    assert "Calling Bot API endpoint `setWebhook`" in output  # the line that carried the secret is there
    assert "Traceback" not in output
