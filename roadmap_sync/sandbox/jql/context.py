"""What the JQL evaluator needs to know about the site a query runs against."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["JqlContext"]


@dataclass(frozen=True)
class JqlContext:
    """What the evaluator needs to know about the site a query runs against."""

    now: datetime  # timezone-aware; relative dates and date functions are based on it
    flavor: Literal["cloud", "datacenter"]
    epic_link_field: str | None  # e.g. "customfield_10101" on Data Center, None on Cloud
    custom_fields: Mapping[str, str]  # lower-cased custom field name -> field id
    projects: Mapping[str, str]  # upper-cased project key (or name, or id) -> project id
    issue_types: frozenset[str]  # lower-cased issue type names
    statuses: frozenset[str]  # lower-cased status names
    versions: frozenset[str]  # lower-cased fixVersion names, any project
    issue_exists: Callable[[str], bool]  # does this (upper-cased) issue key exist
