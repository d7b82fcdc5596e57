"""Accept-Encoding negotiation for the pre-compressed feeds (web.feeds.accepts_gzip); served: test_feed_parsers."""

from __future__ import annotations

import pytest

from web.feeds import accepts_gzip, codings


@pytest.mark.parametrize("header", [
    "gzip", "GZIP", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8, *;q=0.1", "x-gzip", "*", "deflate, *;q=0.5",
    "gzip;q=0.001", "gzip ; q=1", "identity;q=0.5, gzip", "gzip;q=0.5, identity;q=0.5",
])
def test_gzip_accepted(header: str) -> None:
    assert accepts_gzip(header)


@pytest.mark.parametrize("header", [
    None, "", "identity", "br, deflate", "gzip;q=0", "gzip;q=0.0", "gzip; q=0.000", "*;q=0", "br, *;q=0",
    "gzip;q=0, *", "*, gzip;q=0", "x-gzip;q=0, deflate", "gzip;q=abc", "gzip;q=2", "gzip;q=0.2, identity;q=0.9",
])
def test_gzip_refused(header: str | None) -> None:
    assert not accepts_gzip(header)


def test_gzip_with_q_zero_means_no_gzip() -> None:
    """``Accept-Encoding: gzip;q=0`` got a gzip body: the header was searched for "gzip", not read."""
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("deflate, gzip;q=0, *;q=0")


def test_codings_keep_the_highest_q_of_a_repeated_coding() -> None:
    assert codings("gzip;q=0, GZIP;q=0.5, br") == {"gzip": 0.5, "br": 1.0}
