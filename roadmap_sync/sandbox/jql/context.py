"""What the JQL evaluator needs to know about the site a query runs against."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

__all__ = ["JqlContext", "UserDirectory"]


class _Account(Protocol):
    @property
    def account_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def admin(self) -> bool: ...


@dataclass(frozen=True)
class UserDirectory:
    """The site's users: every spelling JQL accepts for one (account id, name, e-mail, display
    name, lower-cased) -> the account id, and each group's members."""

    ids: Mapping[str, str]
    groups: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, accounts: Iterable[_Account]) -> UserDirectory:
        """The directory of the sandbox's accounts (admins are also jira-administrators)."""
        ids: dict[str, str] = {}
        everyone: set[str] = set()
        admins: set[str] = set()
        for account in accounts:
            for spelling in (
                account.account_id,
                account.username,
                account.email,
                account.display_name,
            ):
                ids[spelling.lower()] = account.account_id
            everyone.add(account.account_id)
            if account.admin:
                admins.add(account.account_id)
        groups = {
            "jira-software-users": frozenset(everyone),
            "jira-users": frozenset(everyone),
            "jira-administrators": frozenset(admins),
        }
        return cls(ids, groups)


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
    users: UserDirectory = field(default_factory=lambda: UserDirectory({}, {}))
    current_user: str | None = None  # the account id running the query (currentUser())
    priorities: frozenset[str] | None = None  # lower-cased priority names (None: any)
    sprint_field: str | None = None  # the Sprint custom field's id
