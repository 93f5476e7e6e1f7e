"""Search results page by page, with each flavor's own paging.

Cloud's ``/search/jql`` pages by ``nextPageToken``; Data Center's ``/search`` by ``startAt``.
The next page is requested while the caller converts the current one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from roadmap_sync.trackers.jira.session import JiraHttp

__all__ = ["CLOUD_PAGE_REQUEST", "DC_PAGE_REQUEST", "SearchPager"]

CLOUD_PAGE_REQUEST = 5000  # Cloud caps pages itself (smaller when fields are asked for)
DC_PAGE_REQUEST = 1000  # Data Center's default jira.search.views.default.max
Cursor = str | int | None


class SearchPager:
    """Runs one JQL search to its end, yielding raw issue JSON a page at a time."""

    def __init__(self, http: JiraHttp, *, cloud: bool) -> None:
        self.http = http
        self.cloud = cloud

    def fetch_page(self, jql: str, wanted: str, cursor: Cursor) -> tuple[list[Any], Cursor]:
        """One page of a search and the cursor of the next (None after the last)."""
        if self.cloud:
            params: dict[str, Any] = {
                "jql": jql,
                "maxResults": CLOUD_PAGE_REQUEST,
                "fields": wanted,
            }
            if cursor:
                params["nextPageToken"] = cursor
            page = self.http.get_json("search/jql", params, "search")
            token = page.get("nextPageToken")
            last = page.get("isLast", True) or not token
            return page.get("issues", []), None if last else str(token)
        start = int(cursor or 0)
        params = {"jql": jql, "startAt": start, "maxResults": DC_PAGE_REQUEST, "fields": wanted}
        page = self.http.get_json("search", params, "search")
        issues = page.get("issues", [])
        following = start + len(issues)
        more = bool(issues) and following < int(page.get("total", 0))
        return issues, following if more else None

    def pages(self, jql: str, fields: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
        """Raw issue JSON, page by page.

        The next page is requested while the caller converts the current one, so Jira's time
        to render a page overlaps with ours instead of adding to it.
        """
        wanted = ",".join(fields)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-page") as pool:
            pending: Future[tuple[list[Any], Cursor]] | None = pool.submit(
                self.fetch_page, jql, wanted, None
            )
            while pending is not None:
                issues, cursor = pending.result()
                pending = None
                if cursor is not None:
                    pending = pool.submit(self.fetch_page, jql, wanted, cursor)
                yield issues
