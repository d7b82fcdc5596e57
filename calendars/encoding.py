"""Content-coding negotiation for the pre-compressed feeds: may this request get the gzip body?

A pure function of the ``Accept-Encoding`` header (RFC 9110 12.5.3), so the web
layer calls it with the header and tests need no server.
"""

from __future__ import annotations

_GZIP = {"gzip", "x-gzip"}  # x-gzip is gzip (RFC 9110 8.4.1.3)


def _qvalue(params: list[str]) -> float:
    """The ``q`` of one header element: 1 when absent, 0 when unreadable (a q we cannot read is no yes)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def codings(header: str) -> dict[str, float]:
    """Each content-coding the header names, lower-cased, with its q-value (the highest if repeated)."""
    out: dict[str, float] = {}
    for element in header.split(","):
        coding, *params = element.split(";")
        coding = coding.strip().lower()
        if coding:
            out[coding] = max(out.get(coding, 0.0), _qvalue(params))
    return out


def accepts_gzip(header: str | None) -> bool:
    """Whether a response may be gzip-coded for this ``Accept-Encoding`` header.

    gzip named (or ``x-gzip``): its q decides, ``gzip;q=0`` is a no. Not named:
    ``*`` decides (``*;q=0`` is a no). Neither: no. A client that rates
    ``identity`` above gzip gets identity. No header at all: no.
    """
    if not header:
        return False
    offered = codings(header)
    named = [offered[c] for c in _GZIP if c in offered]
    q = max(named) if named else offered.get("*", 0.0)
    return q > 0 and q >= offered.get("identity", 0.0)


__all__ = ["accepts_gzip", "codings"]
