"""Local stand-ins for the chat platforms' webhook endpoints, over real HTTP on 127.0.0.1.

One Starlette app (uvicorn in a thread) answers as WeCom, DingTalk, Feishu and a generic
webhook receiver would: it checks the credential in the URL, verifies signatures the way the
platform does (recomputing them with the shared secret, within the platform's one-hour clock
window), checks the body's shape and size limits, and replies with the platform's own success
or error JSON. Tests script replies (a rate-limit code, an HTTP 500, a slow answer) and read
what was accepted. Optionally it enforces the platforms' rate limits on a clock the test
controls, so a test can prove a burst was spread out.

Fault mode: a scripted :class:`Reply` can also be raw bytes (garbage, not UTF-8, a false
``Content-Encoding``), an answer that never comes (``hang``: held until the client gives up
and disconnects, so no test sleeps for it), or a body that trickles out a byte at a time after
the headers (``trickle``). Scripted replies never count as accepted: only a message the normal
path checked and answered with the platform's success JSON is in ``received``. Faults below
HTTP (a reset, a close without an answer, a reply that is not HTTP) come from
:func:`raw_receiver`, a bare TCP listener.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import socketserver
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

WINDOW = 3600.0  # seconds: both DingTalk and Feishu accept a timestamp within an hour

OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
}
RATE_LIMITED = {
    "wecom": {"errcode": 45009, "errmsg": "api freq out of limit"},
    "dingtalk": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
    "feishu": {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"},
}


@dataclass
class Reply:
    """A scripted answer, given instead of the normal one to the next request for a platform."""

    status: int = 200
    json: Any = None
    text: str | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # the body as these bytes, sent as they are (``headers`` set its type)
    hang: bool = False  # never answer: wait until the client disconnects
    trickle: float = 0.0  # send the headers and first byte, then one more byte every ``trickle`` seconds


@dataclass
class Robot:
    name: str
    secret: str | None = None
    keyword: str | None = None


@dataclass
class Attempt:
    """A request answered by a scripted reply (not accepted)."""

    platform: str
    headers: dict[str, str]


@dataclass
class Received:
    platform: str
    robot: str
    body: Any
    raw: bytes
    query: dict[str, str]
    headers: dict[str, str]


class RobotReceivers:
    """The platforms' state: known robots, scripted replies, accepted messages."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # for signature windows: the platforms' own clock
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.wecom: dict[str, Robot] = {}  # key → robot
            self.dingtalk: dict[str, Robot] = {}  # access token → robot
            self.feishu: dict[str, Robot] = {}  # hook token → robot
            self.webhook: dict[str, Robot] = {}  # path name → robot
            self.received: list[Received] = []
            self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
            self.requests: dict[str, int] = defaultdict(int)  # every request that arrived, answered or not
            self.attempts: list[Attempt] = []  # the requests answered by a scripted reply
            self.rate_limits: dict[str, list[tuple[int, float]]] = {}
            self.rate_clock: Callable[[], float] | None = None
            self.arrivals: dict[tuple[str, str], list[float]] = defaultdict(list)
            self.refused_for_rate = 0

    def script(self, platform: str, *replies: Reply) -> None:
        with self.lock:
            self.scripts[platform].extend(replies)

    def enforce_rates(self, clock: Callable[[], float], **limits: list[tuple[int, float]]) -> None:
        """Refuse, as the platform would, a message over ``limits`` as measured on ``clock``."""
        with self.lock:
            self.rate_clock = clock
            self.rate_limits = dict(limits)

    def of(self, platform: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.platform == platform]

    # -- helpers

    def _next_script(self, platform: str, request: Request) -> Reply | None:
        with self.lock:
            self.requests[platform] += 1
            queue = self.scripts.get(platform)
            if not queue:
                return None
            self.attempts.append(Attempt(platform, {k.lower(): v for k, v in request.headers.items()}))
            return queue.popleft()

    async def _play(self, reply: Reply, request: Request) -> Response:
        if reply.hang:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            return Response(status_code=499)  # nobody is listening any more
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.trickle:
            body = reply.raw if reply.raw is not None else json.dumps(reply.json).encode()

            async def drip() -> Any:
                yield body[:1]
                for i in range(1, len(body)):
                    await asyncio.sleep(reply.trickle)
                    yield body[i:i + 1]

            return StreamingResponse(drip(), status_code=reply.status,
                                     headers={"content-type": "application/json", **reply.headers})
        if reply.raw is not None:
            return Response(reply.raw, status_code=reply.status, headers=reply.headers)
        if reply.text is not None:
            return PlainTextResponse(reply.text, status_code=reply.status, headers=reply.headers)
        return JSONResponse(reply.json if reply.json is not None else {}, status_code=reply.status,
                            headers=reply.headers)

    def _over_rate(self, platform: str, robot: str) -> bool:
        with self.lock:
            limits = self.rate_limits.get(platform)
            if not limits or self.rate_clock is None:
                return False
            now = self.rate_clock()
            seen = self.arrivals[(platform, robot)]
            for n, period in limits:
                if sum(1 for t in seen if t > now - period) >= n:
                    self.refused_for_rate += 1
                    return True
            seen.append(now)
            return False

    def _record(self, platform: str, robot: str, body: Any, raw: bytes, request: Request) -> None:
        with self.lock:
            self.received.append(Received(platform, robot, body, raw, dict(request.query_params),
                                          {k.lower(): v for k, v in request.headers.items()}))

    @staticmethod
    def _json(raw: bytes) -> Any:
        return json.loads(raw.decode("utf-8"))  # strict UTF-8, as the platforms require

    # -- WeCom: /cgi-bin/webhook/send?key=KEY

    async def wecom_send(self, request: Request) -> Response:
        raw = await request.body()
        scripted = self._next_script("wecom", request)
        if scripted is not None:
            return await self._play(scripted, request)
        robot = self.wecom.get(request.query_params.get("key", ""))
        if robot is None:
            return JSONResponse({"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000000000001]"})
        try:
            body = self._json(raw)
        except ValueError:
            return JSONResponse({"errcode": 40035, "errmsg": "Warning: wrong json format."})
        kind = body.get("msgtype")
        part = body.get(kind) if isinstance(kind, str) else None
        limits = {"markdown": 4096, "text": 2048}
        if kind not in limits or not isinstance(part, dict) or not isinstance(part.get("content"), str):
            return JSONResponse({"errcode": 40008, "errmsg": "invalid message type"})
        if len(part["content"].encode("utf-8")) > limits[kind]:
            return JSONResponse({"errcode": 40058, "errmsg": f"{kind}.content exceed max length {limits[kind]}"})
        for key in ("mentioned_list", "mentioned_mobile_list"):
            if key in part and not (isinstance(part[key], list) and all(isinstance(v, str) for v in part[key])):
                return JSONResponse({"errcode": 40058, "errmsg": f"invalid {key}"})
        if self._over_rate("wecom", robot.name):
            return JSONResponse(RATE_LIMITED["wecom"])
        self._record("wecom", robot.name, body, raw, request)
        return JSONResponse(OK["wecom"])

    # -- DingTalk: /robot/send?access_token=TOKEN&timestamp=MS&sign=SIGN

    async def dingtalk_send(self, request: Request) -> Response:
        raw = await request.body()
        scripted = self._next_script("dingtalk", request)
        if scripted is not None:
            return await self._play(scripted, request)
        query = request.query_params  # decoded, as DingTalk decodes the URL
        robot = self.dingtalk.get(query.get("access_token", ""))
        if robot is None:
            return JSONResponse({"errcode": 300001, "errmsg": "token is not exist"})
        if robot.secret is not None:
            timestamp, sign = query.get("timestamp"), query.get("sign")
            if not timestamp or not sign or not timestamp.isdigit():
                return JSONResponse({"errcode": 310000, "errmsg": "sign not match"})
            if abs(self.clock() * 1000 - int(timestamp)) > WINDOW * 1000:
                return JSONResponse({"errcode": 310000, "errmsg": "invalid timestamp"})
            digest = hmac.new(robot.secret.encode(), f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return JSONResponse({"errcode": 310000, "errmsg": "sign not match"})
        if len(raw) > 20000:
            return JSONResponse({"errcode": 460101, "errmsg": "body 大小不合法;解决方案:请保持大小在 20000bytes 以内"})
        try:
            body = self._json(raw)
        except ValueError:
            return JSONResponse({"errcode": 300005, "errmsg": "param error"})
        markdown = body.get("markdown")
        if (body.get("msgtype") != "markdown" or not isinstance(markdown, dict)
                or not isinstance(markdown.get("title"), str) or not isinstance(markdown.get("text"), str)):
            return JSONResponse({"errcode": 40035, "errmsg": "缺少参数 markdown"})
        at = body.get("at", {})
        if not isinstance(at, dict):
            return JSONResponse({"errcode": 40035, "errmsg": "invalid at"})
        if robot.keyword and robot.keyword not in markdown["title"] + markdown["text"]:
            return JSONResponse({"errcode": 310000, "errmsg": "keywords not in content"})
        if self._over_rate("dingtalk", robot.name):
            return JSONResponse(RATE_LIMITED["dingtalk"])
        self._record("dingtalk", robot.name, body, raw, request)
        return JSONResponse(OK["dingtalk"])

    # -- Feishu: /open-apis/bot/v2/hook/TOKEN, timestamp and sign in the body

    async def feishu_hook(self, request: Request) -> Response:
        raw = await request.body()
        scripted = self._next_script("feishu", request)
        if scripted is not None:
            return await self._play(scripted, request)
        robot = self.feishu.get(request.path_params["token"])
        if robot is None:
            return JSONResponse({"code": 19001, "msg": "param invalid: incoming webhook access token invalid",
                                 "data": {}}, status_code=400)
        if len(raw) > 20000:
            return JSONResponse({"code": 9499, "msg": "Bad Request", "data": {}}, status_code=400)
        try:
            body = self._json(raw)
        except ValueError:
            return JSONResponse({"code": 9499, "msg": "Bad Request", "data": {}}, status_code=400)
        if robot.secret is not None:
            timestamp, sign = str(body.get("timestamp", "")), body.get("sign")
            fail = {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time",
                    "data": {}}
            if not timestamp.isdigit() or not isinstance(sign, str) or abs(self.clock() - int(timestamp)) > WINDOW:
                return JSONResponse(fail, status_code=400)
            digest = hmac.new(f"{timestamp}\n{robot.secret}".encode(), b"", hashlib.sha256).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return JSONResponse(fail, status_code=400)
        card = body.get("card")
        content = _lark_md(card) if body.get("msg_type") == "interactive" else None
        if content is None:
            return JSONResponse({"code": 9499, "msg": "Bad Request", "data": {}}, status_code=400)
        if robot.keyword and robot.keyword not in content + card["header"]["title"]["content"]:
            return JSONResponse({"code": 19024, "msg": "Key Words Not Found", "data": {}}, status_code=400)
        if self._over_rate("feishu", robot.name):
            return JSONResponse(RATE_LIMITED["feishu"], status_code=400)
        self._record("feishu", robot.name, body, raw, request)
        return JSONResponse(OK["feishu"])

    # -- a generic webhook: /hook/NAME, HMAC of "timestamp.body" in headers

    async def webhook_hook(self, request: Request) -> Response:
        raw = await request.body()
        scripted = self._next_script("webhook", request)
        if scripted is not None:
            return await self._play(scripted, request)
        robot = self.webhook.get(request.path_params["name"])
        if robot is None:
            return PlainTextResponse("no such hook", status_code=404)
        if robot.secret is not None:
            timestamp = request.headers.get("x-webhook-timestamp", "")
            signature = request.headers.get("x-webhook-signature", "")
            if not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > 300:
                return PlainTextResponse("stale or missing timestamp", status_code=401)
            mac = hmac.new(robot.secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(f"sha256={mac}", signature):
                return PlainTextResponse("bad signature", status_code=401)
        try:
            body = self._json(raw)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        if not isinstance(body, dict) or body.get("version") != 1 or not isinstance(body.get("text"), str):
            return PlainTextResponse("unexpected body", status_code=422)
        self._record("webhook", robot.name, body, raw, request)
        return JSONResponse({"id": f"wh-{len(self.of('webhook'))}"})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/cgi-bin/webhook/send", self.wecom_send, methods=["POST"]),
            Route("/robot/send", self.dingtalk_send, methods=["POST"]),
            Route("/open-apis/bot/v2/hook/{token}", self.feishu_hook, methods=["POST"]),
            Route("/hook/{name}", self.webhook_hook, methods=["POST"]),
        ])


def _lark_md(card: Any) -> str | None:
    """The Markdown of a one-element card ({header: {title}, elements: [{div, lark_md}]}), or None."""
    try:
        title = card["header"]["title"]["content"]
        div = card["elements"][0]
        content = div["text"]["content"]
        shaped = div["tag"] == "div" and div["text"]["tag"] == "lark_md"
    except (KeyError, IndexError, TypeError):
        return None
    return content if shaped and isinstance(title, str) and isinstance(content, str) else None


@dataclass
class LiveReceivers:
    url: str
    receivers: RobotReceivers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_receivers(*, tls_pem: str | None = None) -> Iterator[LiveReceivers]:
    """The receivers, listening on a free loopback port until the block ends (HTTPS with ``tls_pem``)."""
    receivers = RobotReceivers()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(receivers.app(), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off", ssl_certfile=tls_pem))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the robot receivers did not start")
        time.sleep(0.01)
    try:
        yield LiveReceivers(f"{'https' if tls_pem else 'http'}://127.0.0.1:{port}", receivers)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


# ----------------------------------------------------------------------------- below HTTP


class _RawHandler(socketserver.BaseRequestHandler):
    server: _RawServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:  # the request's head
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return
            body += chunk
        with self.server.lock:
            self.server.requests += 1
        mode = self.server.mode
        if mode == "reset":  # RST instead of FIN: the client's read fails with "connection reset"
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "garbage":
            sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        elif mode == "half":  # a status line and part of the headers, then nothing more
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: appl")
        # "close" (and the rest): the connection ends without an answer


class _RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _RawHandler)
        self.mode = mode
        self.requests = 0
        self.lock = threading.Lock()


@dataclass
class RawReceiver:
    url: str
    server: _RawServer

    @property
    def requests(self) -> int:
        with self.server.lock:
            return self.server.requests


@contextmanager
def raw_receiver(mode: str) -> Iterator[RawReceiver]:
    """A TCP listener that reads one HTTP request per connection and then, by ``mode``: ``reset``s the
    connection, ``close``s it without an answer, answers ``garbage`` that is not HTTP, or sends ``half``
    a head and closes. Any path on it is the robot's; ``requests`` counts what arrived."""
    server = _RawServer(mode)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RawReceiver(f"http://127.0.0.1:{server.server_address[1]}", server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


__all__ = ["OK", "RATE_LIMITED", "Attempt", "LiveReceivers", "RawReceiver", "Received", "Reply", "Robot",
           "RobotReceivers", "free_port", "raw_receiver", "running_receivers"]
