"""Search pages read ahead by a thread: order kept, failures raised, nothing left running."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from roadmap_sync.trackers.jira.paging import READ_AHEAD, Cursor, Page, read_ahead

PAGES = 10


class Site:
    """Pages 0..PAGES-1 of one issue each; fails on ``fail_at`` if set."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.requested: list[int] = []

    def fetch(self, cursor: Cursor) -> Page:
        number = int(cursor or 0)
        self.requested.append(number)
        if number == self.fail_at:
            raise ConnectionError(f"page {number} failed")
        issues: list[dict[str, Any]] = [{"key": f"ACME-{number}"}]
        return issues, number + 1 if number + 1 < PAGES else None


def readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "jira-page"]


def test_every_page_arrives_once_in_order() -> None:
    site = Site()
    keys = [issue["key"] for page in read_ahead(site.fetch) for issue in page]
    assert keys == [f"ACME-{n}" for n in range(PAGES)]
    assert site.requested == list(range(PAGES))
    assert readers() == []


def test_a_failed_page_raises_after_the_pages_before_it() -> None:
    site = Site(fail_at=3)
    seen: list[str] = []
    with pytest.raises(ConnectionError, match="page 3 failed"):
        for page in read_ahead(site.fetch):
            seen.extend(issue["key"] for issue in page)
    assert seen == ["ACME-0", "ACME-1", "ACME-2"]
    assert site.requested == [0, 1, 2, 3]  # nothing after the failure
    assert readers() == []


def test_a_caller_that_stops_early_stops_the_reader() -> None:
    site = Site()
    pages = read_ahead(site.fetch)
    assert next(pages)[0]["key"] == "ACME-0"
    pages.close()
    assert readers() == []  # close() returned only after the reader ended
    # Read ahead at most: the queued pages and the one being handed over.
    assert len(site.requested) <= 1 + READ_AHEAD + 1
