"""The adapter's HTTP: the ``jira`` client's authenticated session, with retries and counting.

Reads and writes go through the client's own session as raw JSON (``Resource`` objects cost
more than the network at 100,000 issues); every request passes ``call_with_retry``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import requests
from jira import JIRA, JIRAError

from roadmap_sync.runtime.retry import RetryDecider, RetryPolicy, call_with_retry
from roadmap_sync.trackers.base import TrackerError
from roadmap_sync.trackers.jira.errors import describe
from roadmap_sync.trackers.jira.pacing import QuotaPacer

__all__ = ["JiraHttp", "json_of"]

T = TypeVar("T")
V3 = "{server}/rest/api/3/{path}"


def json_of(response: requests.Response) -> Any:
    """A response's JSON body, decoded by orjson.

    A 100,000-issue read decodes about 110 MB of search pages, which the standard library's
    decoder takes twice as long over (bench/steady_state.py): that decode is on the read's
    critical path. A body orjson refuses (not UTF-8, NaN, a lone surrogate, cut short) goes
    through ``Response.json`` as before, so what decodes there still decodes, and a body that
    does not raises the ``requests`` error the retry policy treats as transient.
    """
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


class JiraHttp:
    """One site's session: URLs, retried requests, and the hooks that feed metrics."""

    def __init__(
        self,
        client: JIRA,
        base_url: str,
        policy: RetryPolicy,
        *,
        on_request: Callable[[str], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
        on_response: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.policy = policy
        self.session = client._session
        self._on_request = on_request
        self._decider = RetryDecider(policy, on_wait)
        self.pacer = QuotaPacer(on_wait=on_wait)
        self._pin_environment(base_url)

        def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            self.pacer.observe(response.headers, response.status_code)
            if on_response is not None:
                on_response(response.status_code)

        self.session.hooks["response"].append(hook)

    def _pin_environment(self, url: str) -> None:
        """Resolve proxy and CA settings from the environment once, not on every request.

        requests re-reads proxy variables for each request (a fifth of a label PUT's CPU in
        bench/sync_throughput.py); resolving them here keeps them honoured at none of the cost.
        """
        session = self.session
        resolved = session.merge_environment_settings(url, {}, None, session.verify, None)
        session.proxies.update(resolved.get("proxies") or {})
        session.verify = resolved.get("verify", session.verify)
        session.trust_env = False

    def url(self, path: str, *, v3: bool = False) -> str:
        """The REST URL of `path` (API v2, which both flavors serve, unless `v3`)."""
        if v3:
            return str(self.client._get_url(path, base=V3))
        return str(self.client._get_url(path))

    def counted(self, endpoint: str) -> None:
        """Count one request to `endpoint` (the worker's metrics, the benchmarks' tallies)."""
        if self._on_request:
            self._on_request(endpoint)

    def retried(self, action: Callable[[], T], time_left: Callable[[], float] | None = None) -> T:
        """Run `action` under the retry policy (Retry-After honoured, transient errors retried),
        each attempt paced by the quota headers of the responses before it; no wait is started
        that would end past `time_left` (seconds, e.g. the run's write deadline)."""

        def paced() -> T:
            self.pacer.wait()
            return action()

        return call_with_retry(paced, self.policy, self._decider, time_left=time_left)

    def post_json(self, path: str, body: Any, endpoint: str, *, v3: bool = False) -> Any:
        """POST a JSON document; a failure for good is a ``TrackerError`` with a safe message."""
        url = self.url(path, v3=v3)

        def attempt() -> Any:
            self.counted(endpoint)
            return json_of(self.session.post(url, json=body))

        try:
            return self.retried(attempt)
        except (JIRAError, requests.RequestException) as error:
            raise TrackerError(describe(error)) from None

    def get_json(
        self, path: str, params: dict[str, Any], endpoint: str, *, v3: bool = False
    ) -> Any:
        """GET a JSON document; a failure for good is a ``TrackerError`` with a safe message."""
        url = self.url(path, v3=v3)

        def attempt() -> Any:
            self.counted(endpoint)
            return json_of(self.session.get(url, params=params))

        try:
            return self.retried(attempt)
        except (JIRAError, requests.RequestException) as error:
            raise TrackerError(describe(error)) from None
