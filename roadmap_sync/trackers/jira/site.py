"""What the adapter learned about one Jira site: Cloud or Data Center, and its custom fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from roadmap_sync.trackers.base import SiteInfo

__all__ = ["Deployment", "JiraSite"]

Deployment = Literal["cloud", "datacenter"]


@dataclass(frozen=True)
class JiraSite:
    """A connected Jira site; ``info`` is the tracker-neutral view the engine sees."""

    deployment: Deployment
    base_url: str
    version: str
    epic_link_field: str | None
    story_points_field: str | None
    account: str = ""  # the bot's accountId (Cloud) or user name (Data Center)

    @property
    def info(self) -> SiteInfo:
        """The site as the engine and the reports see it."""
        return SiteInfo("Jira", self.deployment, self.base_url, self.version, self.account)

    @property
    def cloud(self) -> bool:
        """Jira Cloud (bulk edit, token paging, ``parent`` for epics) rather than Data Center."""
        return self.deployment == "cloud"

    def custom_fields(self) -> list[str]:
        """The custom fields a search must ask for besides the standard ones."""
        return [f for f in (self.epic_link_field, self.story_points_field) if f]
