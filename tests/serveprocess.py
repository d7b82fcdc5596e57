"""``main.py serve`` as a real process on loopback, for the tests that read what it logs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.liveserver import free_port

MAIN = Path(__file__).resolve().parent.parent / "main.py"


@dataclass(frozen=True)
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path  # stdout and stderr

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def healthz(self) -> dict[str, Any] | None:
        """/healthz, or None while the server does not answer."""
        try:
            return httpx.get(self.url + "/healthz", timeout=2).json()  # type: ignore[no-any-return]
        except httpx.HTTPError:
            return None

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
        """Poll ``condition`` until it is true (its value); fail with the log's end if serve exits or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited ({self.proc.returncode}) while waiting for {what}:\n"
                                     + self.output()[-4000:])
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n" + self.output()[-4000:])
            time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person stops it (the shutdown is what some tests read); killed after 30 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def serving(config: Path, cwd: Path, env: dict[str, str], *, port: int | None = None) -> Iterator[Served]:
    """``serve --debug`` on ``port`` (a free one by default), its output in ``cwd/serve.log``; stopped on leaving."""
    port = port or free_port()
    log = cwd / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(MAIN), "serve", "--config", str(config), "--port", str(port),
                                 "--debug"], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield Served(proc, f"http://127.0.0.1:{port}", log)
    finally:
        stop(proc)


__all__ = ["Served", "serving", "stop"]
