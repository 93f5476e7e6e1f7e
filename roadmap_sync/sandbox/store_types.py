"""Values the store hands to its listeners: one changelog item, one accepted change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from roadmap_sync.sandbox.catalog import Account


@dataclass(frozen=True)
class ChangeItem:
    """One field change, shaped like an item of Jira's changelog.

    ``field`` is the display name Jira writes ("Fix Version", "Epic Link", "labels"),
    ``field_id`` the field's id; ``from``/``to`` hold ids (version ids, issue ids) where the
    field refers to objects, and ``fromString``/``toString`` the names.
    """

    field: str
    from_string: str | None
    to_string: str | None
    field_id: str = ""
    fieldtype: str = "jira"
    from_id: str | None = None
    to_id: str | None = None

    def as_json(self, with_field_id: bool) -> dict[str, Any]:
        """The item as Jira's histories and webhooks carry it (Data Center lacks ``fieldId``)."""
        item: dict[str, Any] = {"field": self.field, "fieldtype": self.fieldtype}
        if with_field_id:
            item["fieldId"] = self.field_id or self.field
        item.update(
            {
                "from": self.from_id,
                "fromString": self.from_string,
                "to": self.to_id,
                "toString": self.to_string,
            }
        )
        return item


@dataclass(frozen=True)
class IssueChange:
    """What one accepted edit did to one issue."""

    key: str
    actor: Account
    items: tuple[ChangeItem, ...]
    at: datetime
    event: str = "jira:issue_updated"
    # Jira's issue_event_type_name: issue_created, issue_updated, issue_generic, issue_deleted
    event_type: str = "issue_updated"
