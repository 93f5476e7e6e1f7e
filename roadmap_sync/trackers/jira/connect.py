"""Connecting to a Jira site: Cloud or Data Center from serverInfo, auth, custom fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests
import structlog
from jira import JIRA, JIRAError
from urllib3.exceptions import NameResolutionError, NewConnectionError

from roadmap_sync.runtime.retry import RetryDecider, RetryPolicy, call_with_retry
from roadmap_sync.trackers.base import TrackerError, TrackerUnreachableError
from roadmap_sync.trackers.jira.errors import describe
from roadmap_sync.trackers.jira.site import Deployment, JiraSite

__all__ = ["open_client", "unreachable_reason"]

log = structlog.get_logger(__name__)

EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
STORY_POINT_NAMES = ("story points", "story point estimate")


def open_client(
    url: str, email: str | None, token: str, policy: RetryPolicy, *, timeout: float
) -> tuple[JIRA, JiraSite]:
    """An authenticated ``jira`` client and what the site is; failures are ``TrackerError``."""
    try:
        info = call_with_retry(lambda: _server_info(url, timeout), policy, _FirstContact(policy))
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise TrackerError(
            f"{url}/rest/api/2/serverInfo answered HTTP {status}: is this the base URL of "
            "a Jira site (for example https://acme.atlassian.net)?"
        ) from None
    except (requests.RequestException, ValueError) as error:
        reason = unreachable_reason(error, timeout)
        if reason is not None:
            raise TrackerUnreachableError(f"cannot reach {url}: {reason}") from None
        raise TrackerError(f"cannot reach Jira at {url}: {describe(error)}") from None
    deployment: Deployment = "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"
    if deployment == "cloud" and not email:
        raise TrackerError(
            "This is Jira Cloud: set ROADMAP_SYNC_JIRA_EMAIL to the account's e-mail "
            "(Cloud authenticates with e-mail + API token)."
        )
    auth: dict[str, Any] = (
        {"basic_auth": (email, token)} if deployment == "cloud" else {"token_auth": token}
    )
    # max_retries=0: the library's own retry can wake before Retry-After; retry.py decides.
    client = JIRA(server=url, max_retries=0, timeout=timeout, get_server_info=False, **auth)
    client.deploymentType = info.get("deploymentType")
    try:
        me = call_with_retry(client.myself, policy)
        fields = call_with_retry(client.fields, policy)
    except requests.RequestException as error:
        raise TrackerError(f"cannot reach Jira at {url}: {describe(error)}") from None
    except JIRAError as error:
        if error.status_code in (401, 403):
            raise TrackerError(
                f"Jira refused the credentials (HTTP {error.status_code}): check "
                "ROADMAP_SYNC_JIRA_TOKEN"
                + (" and ROADMAP_SYNC_JIRA_EMAIL" if deployment == "cloud" else "")
            ) from None
        raise TrackerError(describe(error)) from None
    site = JiraSite(
        deployment=deployment,
        base_url=url,
        version=str(info.get("version", "")),
        epic_link_field=_epic_link_field(fields) if deployment == "datacenter" else None,
        story_points_field=_story_points_field(fields),
        account=str(me.get("accountId") or me.get("name") or ""),
    )
    log.info("jira_connected", deployment=deployment, version=site.version)
    return client, site


def unreachable_reason(error: BaseException, timeout: float) -> str | None:
    """Why a site cannot be reached at all, in words, or None when that is not the problem.

    These do not heal within a retry ladder: a refused port, an unknown host, a URL that is
    not HTTP(S), a TLS handshake that fails, or no answer to connect within the timeout.
    """
    if isinstance(error, (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)):
        return "not an http:// or https:// URL"
    if isinstance(error, requests.exceptions.InvalidURL):
        return "not a valid URL"
    if isinstance(error, requests.exceptions.SSLError):
        return "the TLS handshake failed (certificate not trusted, or not an HTTPS server?)"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"no answer within {timeout:g}s"
    if not isinstance(error, requests.ConnectionError) or isinstance(error, requests.Timeout):
        return None
    cause = getattr(error.args[0] if error.args else None, "reason", None)
    if isinstance(cause, NameResolutionError):
        return "the host name does not resolve"
    if isinstance(cause, NewConnectionError):
        root = cause.__context__ or cause.__cause__
        if isinstance(root, ConnectionRefusedError):
            return "connection refused"
        return "no connection could be made"
    return None


class _FirstContact(RetryDecider):
    """The first request to a site: an unreachable site fails at once, in one line, instead of
    climbing the whole retry ladder; rate limits and 5xx are retried as always."""

    def __call__(self, error: Exception) -> bool | float:
        """Give up on errors that cannot heal; otherwise the shared policy decides."""
        if unreachable_reason(error, 0) is not None:
            return False
        return super().__call__(error)


def _server_info(url: str, timeout: float) -> dict[str, Any]:
    response = requests.get(f"{url}/rest/api/2/serverInfo", timeout=timeout)
    response.raise_for_status()
    info: dict[str, Any] = response.json()
    return info


def _epic_link_field(fields: Sequence[dict[str, Any]]) -> str | None:
    for field in fields:
        if (field.get("schema") or {}).get("custom") == EPIC_LINK_TYPE:
            return str(field["id"])
    return None


def _story_points_field(fields: Sequence[dict[str, Any]]) -> str | None:
    for field in fields:
        if str(field.get("name", "")).lower() in STORY_POINT_NAMES and field.get("custom"):
            return str(field["id"])
    return None
