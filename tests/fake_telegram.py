"""A fake Telegram Bot API on a loopback port, for tests that drive the real python-telegram-bot.

No network: PTB talks real HTTP to a Starlette app that uvicorn serves in a background thread
(the same pattern as ``tests/liveserver.py``). Point PTB at it with ``base_url``::

    with fake_bot_api(TOKEN) as fake:
        async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
            await bot.send_message(42, "hi")
        fake.wait_for("sendMessage")

PTB appends the token to ``base_url`` (``Bot._parse_base_url``: ``value + token`` unless the
string holds a ``{token}`` placeholder or is a callable), and then ``/<method>``; so
``fake.base_url`` is ``http://127.0.0.1:PORT/bot`` and requests arrive at
``/bot<TOKEN>/<method>``.

PTB's ``HTTPXRequest`` sends every parameter as a form field (``data=`` of httpx, so
``application/x-www-form-urlencoded``, or ``multipart/form-data`` once a file is uploaded):
strings as they are, everything else JSON-dumped (``chat_id=42``, ``reply_markup={"inline_...``,
``disable_notification=true``). The fake decodes fields back into Python objects (``params``),
keeps the field strings as they arrived (``raw``) and accepts JSON bodies as well.

State is shared by the test thread and the server's event loop: everything recorded lives behind
one ``threading.Condition``; waiters on the server loop (long polls, scripted delays) are asyncio
events that the test thread wakes with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import mimetypes
import re
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Call = dict[str, Any]
Predicate = Callable[[Call], Any]

# Fields that are strings in the Bot API even when they look like JSON ("123", "true"); every
# other form field is JSON-decoded when it parses (PTB JSON-dumps all non-string values).
_TEXT_FIELDS = frozenset({
    "action", "address", "animation", "audio", "business_connection_id", "callback_query_id",
    "caption", "certificate", "currency", "custom_title", "data", "description", "document",
    "emoji", "error_message", "explanation", "file_id", "first_name", "google_place_id",
    "google_place_type", "inline_message_id", "invite_link", "ip_address", "language_code",
    "last_name", "message_effect_id", "name", "next_offset", "parse_mode", "payload",
    "phone_number", "photo", "query", "question", "secret_token", "short_description", "sticker",
    "switch_pm_parameter", "switch_pm_text", "text", "thumbnail", "title", "url", "vcard", "video",
    "video_note", "voice",
})

_ERROR_PREFIXES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                   409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error",
                   502: "Bad Gateway"}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                 "exactly the same as a current content and reply markup of the message")


class ApiError(Exception):
    """A Bot API error answer: HTTP ``status`` and the same ``error_code`` in the JSON body."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class _Script:
    status: int | None
    description: str | None
    parameters: dict[str, Any] | None
    delay: float


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


def _chat_key(chat_id: Any) -> int | str:
    """Chats are compared by int id; ``"@name"`` chats by their name."""
    if isinstance(chat_id, int) and not isinstance(chat_id, bool):
        return chat_id
    text = str(chat_id)
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram attaches to a message starting with ``/command``."""
    match = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group())}]


class FakeTelegram:
    """The fake's state and the helpers tests use; served by :func:`fake_bot_api`."""

    def __init__(self, token: str, *, username: str = "fake_test_bot", first_name: str = "Fake Bot") -> None:
        self.token = token
        self.url = ""  # http://127.0.0.1:PORT once served
        head = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(head) if head.isdigit() else 1234567, "is_bot": True, "first_name": first_name,
            "username": username, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        #: chat ids (int, or "@name") whose every send* answers 403; the test thread may edit it
        self.blocked_chats: set[int | str] = set()
        #: the last setWebhook parameters, None after deleteWebhook (getUpdates then answers 409)
        self.webhook: dict[str, Any] | None = None
        #: commands by (scope as JSON, language_code), as setMyCommands stored them
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: tracebacks of exceptions inside the fake itself (answered 500); fake_bot_api fails on them
        self.errors: list[str] = []

        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []  # not yet confirmed by a getUpdates offset
        self._update_ids = itertools.count(1)
        self._scripts: dict[str, deque[_Script]] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._channel_ids = itertools.count(1)
        self._message_ids: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._file_ids = itertools.count(1)
        self._files: dict[str, dict[str, Any]] = {}
        self._call_watchers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

        # owned by the server loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._closing_event: asyncio.Event | None = None
        self._poll_waiters: set[asyncio.Event] = set()
        self._poll_generation = 0

        self._handlers: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "getfile": self._get_file,
            "close": lambda _p, _f: True,
            "logout": lambda _p, _f: True,
        }
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
                Route("/{path:path}", self._no_route, methods=["GET", "POST"]),
            ],
            lifespan=self._lifespan,
        )

    # ------------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ scripting

    def fail_next(self, method: str, status: int | None = None, *, retry_after: int | None = None,
                  description: str | None = None, delay: float = 0.0, times: int = 1,
                  parameters: dict[str, Any] | None = None) -> None:
        """Script the next ``times`` calls of ``method``.

        ``status`` answers that HTTP error (and ``error_code``) instead of doing the call: 429 adds
        ``parameters.retry_after`` (default 1), 403 "Forbidden: bot was blocked by the user", 400
        "Bad Request: chat not found"; ``description`` replaces the text (the standard prefix, e.g.
        "Bad Request: ", is added when missing). ``delay`` holds the answer back that many seconds
        (the call itself is carried out at once, as Telegram does when a client times out);
        with no ``status`` the call succeeds after the delay.
        """
        if status is None and not delay:
            raise ValueError("fail_next needs a status or a delay")
        params = dict(parameters or {})
        if status == 429 and retry_after is None:
            retry_after = 1
        if retry_after is not None:
            params["retry_after"] = retry_after
        text = None
        if status is not None:
            prefix = _ERROR_PREFIXES.get(status)
            if description is None:
                text = (f"Too Many Requests: retry after {retry_after}" if status == 429
                        else _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}"))
            elif prefix and not description.startswith(prefix):
                text = f"{prefix}: {description}"
            else:
                text = description
        script = _Script(status, text, params or None, float(delay))
        with self._cond:
            self._scripts.setdefault(method.lower(), deque()).extend([script] * times)

    # ------------------------------------------------------------------ updates from "users"

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update for getUpdates; the fake numbers it. Returns a copy of what was queued."""
        with self._cond:
            queued = {"update_id": next(self._update_ids), **{k: v for k, v in update.items() if k != "update_id"}}
            self._updates.append(queued)
            waiters, loop = list(self._poll_waiters), self._loop
            result = copy.deepcopy(queued)
        if loop is not None:
            for waiter in waiters:
                with contextlib.suppress(RuntimeError):  # the server loop has already closed
                    loop.call_soon_threadsafe(waiter.set)
        return result

    def send_text(self, chat_id: int, text: str, *, user_id: int | None = None, first_name: str = "张三",
                  last_name: str | None = None, username: str | None = None, language_code: str = "zh-hans",
                  chat_type: str = "private", chat_title: str = "测试群",
                  entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Queue a message update as if a user wrote ``text`` in ``chat_id``.

        A leading ``/command`` gets its ``bot_command`` entity (``entities`` overrides). In a private
        chat the user is the chat (``user_id`` defaults to ``chat_id``); for "group"/"supergroup"
        ``user_id`` defaults to 1001. Returns the queued update.
        """
        user = self._user(chat_id, chat_type, user_id, first_name, language_code, last_name, username)
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
            if last_name:
                chat["last_name"] = last_name
            if username:
                chat["username"] = username
        else:
            chat = {"id": chat_id, "type": chat_type, "title": chat_title}
        key = _chat_key(chat_id)
        with self._cond:
            self._chats[key] = chat
            message: dict[str, Any] = {"message_id": self._next_message_id(key), "from": user, "chat": chat,
                                       "date": int(time.time()), "text": text}
            entities = command_entities(text) if entities is None else entities
            if entities:
                message["entities"] = entities
            self._messages[(key, message["message_id"])] = message
            return self.queue_update({"message": copy.deepcopy(message)})

    def press_button(self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None,
                     first_name: str = "张三", language_code: str = "zh-hans") -> dict[str, Any]:
        """Queue a callback_query for a button with ``callback_data == data`` on a message in the chat.

        The message must be known to the fake and carry that button (ValueError/KeyError otherwise;
        use :meth:`queue_update` for anything else). The query id is ``update["callback_query"]["id"]``.
        """
        key = _chat_key(chat_id)
        with self._cond:
            message = self._messages.get((key, message_id))
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            buttons = [button.get("callback_data") for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                       for button in row]
            if data not in buttons:
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}: {buttons}")
            chat_type = message["chat"]["type"]
            query_id = str(4_000_000_000 + next(self._callback_ids))
            self._open_callbacks.add(query_id)
            query = {"id": query_id,
                     "from": self._user(chat_id, chat_type, user_id, first_name, language_code, None, None),
                     "message": copy.deepcopy(message), "chat_instance": f"ci{key}", "data": data}
            return self.queue_update({"callback_query": query})

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return copy.deepcopy(self._updates)

    # ------------------------------------------------------------------ what the bot did

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first (all of them, or one method's; method names are case-insensitive).

        Each is a dict: ``seq`` (index among all calls), ``method`` (as requested), ``time``
        (``time.monotonic()`` on arrival), ``params`` (decoded fields), ``raw`` (fields as sent),
        ``files`` (uploads: name -> {filename, content, content_type}), ``status`` (HTTP),
        ``response`` (the JSON body), ``result`` (``response["result"]`` or None), ``delay``.
        """
        with self._cond:
            return [call for call in self._calls if method is None or call["method"].lower() == method.lower()]

    def mark(self) -> int:
        """The ``seq`` the next call will get: pass it as ``since=`` to wait only for later calls."""
        with self._cond:
            return len(self._calls)

    def sent_messages(self, chat_id: int | str) -> list[Call]:
        """Successful sendMessage calls to ``chat_id``, oldest first."""
        key = _chat_key(chat_id)
        return [call for call in self.calls("sendMessage")
                if call["status"] == 200 and _chat_key(call["params"].get("chat_id")) == key]

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any]:
        """A message as it stands now (after edits); KeyError if unknown or deleted."""
        with self._cond:
            return copy.deepcopy(self._messages[(_chat_key(chat_id), message_id)])

    def wait_for(self, method: str, predicate: Predicate | None = None, timeout: float = 10.0, *,
                 since: int = 0) -> Call:
        """Block until a call of ``method`` (with ``seq >= since``) satisfies ``predicate``; return it.

        Earlier calls count, so this returns at once if one already matches. AssertionError on
        timeout. Inside a coroutine use :meth:`wait_for_async`: blocking would stall PTB's loop.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("wait_for blocks the event loop; use `await fake.wait_for_async(...)` in a coroutine")
        with self._cond:
            found = self._cond.wait_for(lambda: self._find(method, predicate, since), timeout)
            if found is None:
                raise AssertionError(self._miss(method, timeout, since))
            return found

    async def wait_for_async(self, method: str, predicate: Predicate | None = None, timeout: float = 10.0, *,
                             since: int = 0) -> Call:
        """:meth:`wait_for` for coroutines: waits on an asyncio.Event the server thread sets."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        watcher = (loop, wake)
        deadline = loop.time() + timeout
        with self._cond:
            self._call_watchers.add(watcher)
        try:
            while True:
                wake.clear()
                with self._cond:
                    found = self._find(method, predicate, since)
                    if found is not None:
                        return found
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise AssertionError(self._miss(method, timeout, since))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), remaining)
        finally:
            with self._cond:
                self._call_watchers.discard(watcher)

    def _find(self, method: str, predicate: Predicate | None, since: int) -> Call | None:
        for call in self._calls[since:]:
            if call["method"].lower() == method.lower() and (predicate is None or predicate(call)):
                return call
        return None

    def _miss(self, method: str, timeout: float, since: int) -> str:
        seen = [(call["status"], call["params"]) for call in self._calls[since:]
                if call["method"].lower() == method.lower()]
        return f"no matching {method} call within {timeout}s; {method} calls seen: {seen!r}"

    # ------------------------------------------------------------------ HTTP

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self._loop = asyncio.get_running_loop()
        self._closing_event = asyncio.Event()
        yield

    def _begin_shutdown(self) -> None:
        """From the test thread: end long polls and scripted delays so uvicorn can stop at once."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._close_in_loop)

    def _close_in_loop(self) -> None:
        with self._cond:
            self._closing = True
            waiters = list(self._poll_waiters)
        if self._closing_event is not None:
            self._closing_event.set()
        for waiter in waiters:
            waiter.set()

    async def _endpoint(self, request: Request) -> Response:
        arrived = time.monotonic()
        method = request.path_params["method"]
        key = method.lower()
        params: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        files: dict[str, dict[str, Any]] = {}
        delay = 0.0
        try:
            raw, files = await self._read_fields(request)
            params = {name: _decode(name, value) for name, value in raw.items()}
            if request.path_params["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            with self._cond:
                scripts = self._scripts.get(key)
                script = scripts.popleft() if scripts else None
            if script is not None:
                delay = script.delay
                if script.status is not None:
                    raise ApiError(script.status, script.description or "", script.parameters)
            handler = self._handlers.get(key)
            if key == "getupdates":
                result = await self._get_updates(params)
            elif handler is None:
                raise ApiError(404, "Not Found: method not found")
            else:
                with self._cond:
                    result = handler(params, files)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.body()
        except Exception:  # a bug in the fake: answer 500 and make the test fail on exit
            self.errors.append(traceback.format_exc())
            status, body = 500, {"ok": False, "error_code": 500, "description": "Internal Server Error: fake bug"}
        self._record({"method": method, "time": arrived, "params": params, "raw": raw, "files": files,
                      "status": status, "response": body, "result": body.get("result"), "delay": delay})
        if delay:
            await self._pause(delay)
        return JSONResponse(body, status_code=status)

    @staticmethod
    async def _read_fields(request: Request) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        fields: dict[str, Any] = dict(request.query_params)
        files: dict[str, dict[str, Any]] = {}
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            body = await request.body()
            try:
                data = json.loads(body) if body.strip() else {}
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: the JSON body must be an object")
            fields.update(data)
        elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            try:
                form = await request.form()
            except (HTTPException, MultiPartException) as error:  # Starlette turns the latter into the former
                raise ApiError(400, f"Bad Request: can't parse the form: {error}") from None
            try:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        files[name] = {"filename": value.filename, "content": await value.read(),
                                       "content_type": value.content_type}
                    else:
                        fields[name] = value
            finally:
                await form.close()
        return fields, files

    def _record(self, call: Call) -> None:
        with self._cond:
            call["seq"] = len(self._calls)
            self._calls.append(call)
            self._cond.notify_all()
            watchers = list(self._call_watchers)
        for loop, wake in watchers:
            with contextlib.suppress(RuntimeError):  # that test's loop is gone
                loop.call_soon_threadsafe(wake.set)

    async def _pause(self, seconds: float) -> None:
        assert self._closing_event is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing_event.wait(), seconds)

    async def _download(self, request: Request) -> Response:
        path = request.path_params["path"]
        with self._cond:
            stored = next((f for f in self._files.values() if f["file_path"] == path), None)
        if request.path_params["token"] != self.token or stored is None:
            return JSONResponse(ApiError(404, "Not Found").body(), status_code=404)
        return Response(stored["content"], media_type=stored["mime_type"])

    async def _no_route(self, _request: Request) -> Response:
        return JSONResponse(ApiError(404, "Not Found").body(), status_code=404)

    # ------------------------------------------------------------------ methods

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling as Telegram does it: updates with update_id >= offset; a positive offset confirms
        (forgets) the earlier ones; waits up to ``timeout`` seconds for one; a newer getUpdates ends
        a waiting one with 409."""
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._cond:
            if self.webhook:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                    "use deleteWebhook to delete the webhook first")
            self._poll_generation += 1
            generation = self._poll_generation
            older = list(self._poll_waiters)
            if offset < 0:  # the last -offset updates; all earlier ones are forgotten
                self._updates = self._updates[offset:]
                offset = 0
        for waiter in older:
            waiter.set()
        while True:
            wake = asyncio.Event()
            with self._cond:
                if generation != self._poll_generation:
                    raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = copy.deepcopy(self._updates[:limit])
                remaining = deadline - loop.time()
                if ready or self._closing or remaining <= 0:
                    return ready
                self._poll_waiters.add(wake)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), remaining)
            finally:
                with self._cond:
                    self._poll_waiters.discard(wake)

    def _get_me(self, _params: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    def _delete_webhook(self, params: dict[str, Any], _files: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        if not params.get("url"):
            return self._delete_webhook(params, files)
        self.webhook = dict(params)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, _params: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _set_my_commands(self, params: dict[str, Any], _files: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(
                isinstance(c, dict) and c.get("command") and c.get("description") for c in commands):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        self.commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: dict[str, Any], _files: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any], _files: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _send_message(self, params: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        text = params.get("text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(str(text)) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        fields: dict[str, Any] = {"text": str(text)}
        if params.get("entities"):
            fields["entities"] = params["entities"]
        return self._new_bot_message(chat, params, fields)

    def _send_document(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        document = params.get("document")
        upload = files.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            upload = files.get(document.removeprefix("attach://"))
        if upload is not None:
            stored = self._store_file(upload["filename"] or "document", upload["content"], upload["content_type"])
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
        elif isinstance(document, str) and document:  # a URL or a file_id from elsewhere
            name = document.rsplit("/", 1)[-1] or "document"
            stored = self._store_file(name, b"", mimetypes.guess_type(name)[0])
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        fields: dict[str, Any] = {"document": {key: stored[key] for key in
                                               ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")}}
        if params.get("caption"):
            fields["caption"] = params["caption"]
        if params.get("caption_entities"):
            fields["caption_entities"] = params["caption_entities"]
        return self._new_bot_message(chat, params, fields)

    def _send_chat_action(self, params: dict[str, Any], _files: dict[str, Any]) -> bool:
        self._target_chat(params)
        return True

    def _edit_message_text(self, params: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any] | bool:
        text = params.get("text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        message = self._message_to_edit(params)
        if message is None:  # an inline message: Telegram answers True
            return True
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._inline_markup(params)
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        message["text"] = str(text)
        message.pop("entities", None)
        if params.get("entities"):
            message["entities"] = params["entities"]
        self._set_markup(message, markup)
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any] | bool:
        message = self._message_to_edit(params)
        if message is None:
            return True
        markup = self._inline_markup(params)
        if message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        self._set_markup(message, markup)
        return copy.deepcopy(message)

    def _delete_message(self, params: dict[str, Any], _files: dict[str, Any]) -> bool:
        key = (_chat_key(params.get("chat_id")), int(params.get("message_id") or 0))
        if self._messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: dict[str, Any], _files: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_callbacks:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    def _get_file(self, params: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {key: stored[key] for key in ("file_id", "file_unique_id", "file_size", "file_path")}

    # ------------------------------------------------------------------ helpers (called under the lock)

    def _user(self, chat_id: int, chat_type: str, user_id: int | None, first_name: str, language_code: str,
              last_name: str | None, username: str | None) -> dict[str, Any]:
        if user_id is None:
            user_id = chat_id if chat_type == "private" else 1001
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _next_message_id(self, key: int | str) -> int:
        self._message_ids[key] = self._message_ids.get(key, 0) + 1
        return self._message_ids[key]

    def _target_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """The chat a send* goes to; 403 if the test blocked it."""
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        key = _chat_key(params["chat_id"])
        if any(_chat_key(blocked) == key for blocked in list(self.blocked_chats)):
            if isinstance(key, int) and key < 0:
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise ApiError(403, _DEFAULT_DESCRIPTIONS[403])
        chat = self._chats.get(key)
        if chat is None:
            if isinstance(key, str):
                chat = {"id": -1_000_000_000_000 - next(self._channel_ids), "type": "channel",
                        "title": key.lstrip("@"), "username": key.lstrip("@")}
            else:
                chat = {"id": key, "type": "private" if key > 0 else "group"}
                if key < 0:
                    chat["title"] = "测试群"
            self._chats[key] = chat
        return chat

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        message["edit_date"] = int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    def _new_bot_message(self, chat: dict[str, Any], params: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        key = _chat_key(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": self._next_message_id(key),
            "from": {field: self.bot_user[field] for field in ("id", "is_bot", "first_name", "username")},
            "chat": chat, "date": int(time.time()), **fields,
        }
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get("reply_to_message_id")
        if reply_to and (key, reply_to) in self._messages:
            replied = copy.deepcopy(self._messages[(key, reply_to)])
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        # Telegram echoes only inline keyboards; reply keyboards are not part of a Message
        markup = self._inline_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(key, message["message_id"])] = message
        return copy.deepcopy(message)

    def _message_to_edit(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if params.get("inline_message_id"):
            return None
        message = self._messages.get((_chat_key(params.get("chat_id")), int(params.get("message_id") or 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _store_file(self, name: str, content: bytes, mime_type: str | None) -> dict[str, Any]:
        number = next(self._file_ids)
        suffix = name.rsplit(".", 1)[-1] if "." in name else ""
        stored = {"file_id": f"BQACAgFake{number:08d}", "file_unique_id": f"AgADFake{number:04d}",
                  "file_name": name, "mime_type": mime_type or "application/octet-stream",
                  "file_size": len(content), "file_path": f"documents/file_{number}{'.' + suffix if suffix else ''}",
                  "content": content}
        self._files[stored["file_id"]] = stored
        return stored


class _Server(uvicorn.Server):
    """uvicorn that sets ``ready`` once it listens (or failed to): a condition, not a guess."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            super().run(sockets=sockets)
        finally:
            self.ready.set()


@contextlib.contextmanager
def fake_bot_api(token: str, **bot_fields: str) -> Iterator[FakeTelegram]:
    """Serve a :class:`FakeTelegram` for ``token`` on 127.0.0.1 for the duration of the block.

    The listening socket is bound here (port 0) and handed to uvicorn, so there is no window in
    which another process could take the port. On leaving, long polls and scripted delays end at
    once; exceptions inside the fake itself fail the block.
    """
    fake = FakeTelegram(token, **bot_fields)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = _Server(uvicorn.Config(fake.app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-telegram", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(20) or not server.started:
            raise RuntimeError("the fake Telegram server did not start")
        yield fake
    finally:
        fake._begin_shutdown()
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
    if thread.is_alive():
        raise RuntimeError("the fake Telegram server did not stop")
    if fake.errors:
        raise AssertionError("the fake Telegram server failed:\n" + "\n".join(fake.errors))
