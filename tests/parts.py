"""Real parts (servers, browsers) that tests need: skip where absent, fail under CI."""

from __future__ import annotations

import os

import pytest


def require_part(missing_reason: str | None) -> None:
    """Skip with the reason when a real part (a server, a browser) is absent; fail under CI."""
    if missing_reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{missing_reason}; CI must provide it (.ci/run)")
    pytest.skip(missing_reason)


__all__ = ["require_part"]
