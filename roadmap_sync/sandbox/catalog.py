"""The sandbox site's fixed catalogue: field definitions, accounts and flavor constants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Flavor = Literal["cloud", "datacenter"]
FLAVORS: tuple[Flavor, ...] = ("cloud", "datacenter")

# Data Center sites give the Epic Link custom field a per-site id; clients must discover it
# through GET /rest/api/2/field by its schema type, so the sandbox picks a realistic one.
EPIC_LINK_FIELD = "customfield_10101"
EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
STORY_POINTS_FIELD = "customfield_10016"
SPRINT_FIELD = "customfield_10020"
SPRINT_TYPE = "com.pyxis.greenhopper.jira:gh-sprint"

SERVER_VERSION = {"cloud": "1001.0.0-SNAPSHOT", "datacenter": "9.12.15"}


@dataclass(frozen=True)
class Account:
    """A user of the sandbox site and what it may do."""

    account_id: str
    display_name: str
    email: str
    username: str
    token: str
    admin: bool
    can_edit: bool

    def as_user(self, base_url: str, flavor: Flavor) -> dict[str, Any]:
        """The user object Jira returns for this account (``myself``, ``submittedBy`` ...)."""
        user: dict[str, Any] = {
            "self": f"{base_url}/rest/api/2/user?accountId={self.account_id}",
            "displayName": self.display_name,
            "active": True,
            "timeZone": "UTC",
        }
        if flavor == "cloud":
            user.update(accountId=self.account_id, accountType="atlassian")
            user["emailAddress"] = self.email
        else:
            # Data Center identifies users by name/key, not by accountId.
            user.update(name=self.username, key=self.username, emailAddress=self.email)
            user["self"] = f"{base_url}/rest/api/2/user?username={self.username}"
        return user


def default_accounts(email: str, token: str) -> tuple[Account, ...]:
    """The bot's admin account, a person who edits by hand, and a read-only viewer."""
    return (
        Account("5b10ac8d82e05b22cc7d4ef5", "Sandbox Admin", email, "admin", token, True, True),
        Account(
            "5b10ac8d82e05b22cc7d4ef6",
            "Read-only Viewer",
            "viewer@example.com",
            "viewer",
            "viewer-token",
            False,
            False,
        ),
        Account(
            "5b10ac8d82e05b22cc7d4ef7",
            "Pat Person",
            "pat@example.com",
            "person",
            "person-token",
            False,
            True,
        ),
    )


def _system(
    field_id: str, name: str, schema: dict[str, Any], clauses: list[str], orderable: bool = True
) -> dict[str, Any]:
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": False,
        "orderable": orderable,
        "navigable": True,
        "searchable": True,
        "clauseNames": clauses,
        "schema": schema,
    }


def _custom(field_id: str, name: str, custom_type: str, value_type: str) -> dict[str, Any]:
    number = int(field_id.removeprefix("customfield_"))
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]", name],
        "schema": {"type": value_type, "custom": custom_type, "customId": number},
    }


def field_catalog(flavor: Flavor, epic_link_field: str = EPIC_LINK_FIELD) -> list[dict[str, Any]]:
    """``GET /rest/api/2/field`` for the flavor: system fields plus the site's custom fields."""
    fields = [
        _system("summary", "Summary", {"type": "string", "system": "summary"}, ["summary"]),
        _system(
            "description",
            "Description",
            {"type": "string", "system": "description"},
            ["description"],
        ),
        _system(
            "issuetype",
            "Issue Type",
            {"type": "issuetype", "system": "issuetype"},
            ["issuetype", "type"],
        ),
        _system("status", "Status", {"type": "status", "system": "status"}, ["status"], False),
        _system(
            "labels",
            "Labels",
            {"type": "array", "items": "string", "system": "labels"},
            ["labels"],
        ),
        _system(
            "fixVersions",
            "Fix versions",
            {"type": "array", "items": "version", "system": "fixVersions"},
            ["fixVersion"],
        ),
        _system(
            "components",
            "Components",
            {"type": "array", "items": "component", "system": "components"},
            ["component"],
        ),
        _system("project", "Project", {"type": "project", "system": "project"}, ["project"]),
        _system("priority", "Priority", {"type": "priority", "system": "priority"}, ["priority"]),
        _system("assignee", "Assignee", {"type": "user", "system": "assignee"}, ["assignee"]),
        _system("reporter", "Reporter", {"type": "user", "system": "reporter"}, ["reporter"]),
        _system("duedate", "Due date", {"type": "date", "system": "duedate"}, ["duedate", "due"]),
        _system(
            "resolution",
            "Resolution",
            {"type": "resolution", "system": "resolution"},
            ["resolution"],
        ),
        _system(
            "resolutiondate",
            "Resolved",
            {"type": "datetime", "system": "resolutiondate"},
            ["resolutiondate", "resolved"],
            False,
        ),
        _system(
            "created", "Created", {"type": "datetime", "system": "created"}, ["created"], False
        ),
        _system(
            "updated", "Updated", {"type": "datetime", "system": "updated"}, ["updated"], False
        ),
        _custom(
            STORY_POINTS_FIELD,
            "Story Points",
            "com.atlassian.jira.plugin.system.customfieldtypes:float",
            "number",
        ),
    ]
    sprint = _custom(SPRINT_FIELD, "Sprint", SPRINT_TYPE, "array")
    sprint["schema"]["items"] = "json"
    fields.append(sprint)
    if flavor == "cloud":
        fields.append(
            _system("parent", "Parent", {"type": "issuelink", "system": "parent"}, ["parent"])
        )
    else:
        fields.append(_custom(epic_link_field, "Epic Link", EPIC_LINK_TYPE, "any"))
    return fields


# Fields Jira leaves out of search results unless asked for by name or with *all.
NOT_NAVIGABLE: frozenset[str] = frozenset({"comment", "worklog", "attachment"})
EDITABLE_FIELDS: frozenset[str] = frozenset(
    {"summary", "description", "labels", "fixVersions", "components", "priority", "parent"}
    | {STORY_POINTS_FIELD}
)
