"""Cloud's bulk edit API for labels: submit a task, then poll it to completion.

``POST /rest/api/3/bulk/issues/fields`` applies one labels operation (ADD, REMOVE, REPLACE,
REMOVE_ALL) to up to 1000 issues and answers a ``taskId``; the edits run in the background and
``GET /rest/api/3/bulk/queue/{taskId}`` reports progress, like Jira's own task queue.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from roadmap_sync.sandbox.catalog import Account
from roadmap_sync.sandbox.edits import validate_label
from roadmap_sync.sandbox.errors import ApiError, bulk_error
from roadmap_sync.sandbox.ratelimits import RateLimiter
from roadmap_sync.sandbox.store import SiteStore, jira_timestamp

MAX_BULK_ISSUES = 1000
LABEL_OPTIONS = ("ADD", "REMOVE", "REPLACE", "REMOVE_ALL")


@dataclass
class BulkTask:
    """One submitted bulk edit."""

    task_id: str
    actor: Account
    option: str
    labels: tuple[str, ...]
    targets: tuple[str, ...]
    notify: bool
    created: str
    status: str = "ENQUEUED"
    started: str | None = None
    updated: str | None = None
    processed: list[int] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    invalid: int = 0


def _labels_field(edited: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    entries = edited.get("labelsFields")
    if not isinstance(entries, list) or len(entries) != 1:
        raise bulk_error(400, "editedFieldsInput.labelsFields must hold exactly one entry")
    entry = entries[0]
    option = entry.get("bulkEditMultiSelectFieldOption") if isinstance(entry, Mapping) else None
    if option not in LABEL_OPTIONS:
        raise bulk_error(400, f"bulkEditMultiSelectFieldOption must be one of {LABEL_OPTIONS}")
    raw = entry.get("labels") or []
    if not isinstance(raw, list):
        raise bulk_error(400, "labels must be a list of {name} objects")
    names = [label.get("name") for label in raw if isinstance(label, Mapping)]
    for name in names:
        problem = validate_label(name)
        if problem:
            raise bulk_error(400, problem)
    if option != "REMOVE_ALL" and not names:
        raise bulk_error(400, "labels must not be empty for " + str(option))
    return str(option), tuple(str(n) for n in names)


class BulkEditor:
    """Accepts bulk label edits and runs each on its own thread."""

    def __init__(
        self, store: SiteStore, delay_seconds: float = 0.05, limiter: RateLimiter | None = None
    ) -> None:
        self.store = store
        self.delay_seconds = delay_seconds
        self.limiter = limiter
        self._tasks: dict[str, BulkTask] = {}
        self._ids = itertools.count(10641)
        self._lock = threading.Lock()

    def submit(self, body: Any, actor: Account) -> BulkTask:
        """Validate a request body and start its task."""
        if not isinstance(body, Mapping):
            raise bulk_error(400, "The request body must be a JSON object")
        actions = body.get("selectedActions")
        targets = body.get("selectedIssueIdsOrKeys")
        edited = body.get("editedFieldsInput")
        if actions != ["labels"] or not isinstance(edited, Mapping):
            raise bulk_error(400, "The sandbox's bulk edit supports selectedActions ['labels']")
        extra = sorted(k for k, v in edited.items() if v and k != "labelsFields")
        if extra:
            raise bulk_error(
                400,
                "The following editedFieldInput values are not listed as selectedActions : "
                + ", ".join(extra),
            )
        if not isinstance(targets, list) or not targets:
            raise bulk_error(400, "selectedIssueIdsOrKeys must list at least one issue")
        if not all(isinstance(t, str) for t in targets):
            raise bulk_error(400, "selectedIssueIdsOrKeys must hold issue ids or keys as strings")
        if len(targets) > MAX_BULK_ISSUES:
            raise bulk_error(
                400, f"A maximum of {MAX_BULK_ISSUES} issues can be bulk edited at once."
            )
        option, labels = _labels_field(edited)
        now = jira_timestamp(self.store.clock())
        task = BulkTask(
            task_id=str(next(self._ids)),
            actor=actor,
            option=option,
            labels=labels,
            targets=tuple(str(t) for t in targets),
            notify=bool(body.get("sendBulkNotification", True)),
            created=now,
        )
        with self._lock:
            self._tasks[task.task_id] = task
        threading.Thread(target=self._execute, args=(task,), daemon=True).start()
        return task

    def progress(self, task_id: str) -> dict[str, Any]:
        """The task's state in ``BulkOperationProgress`` shape."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise ApiError(404, [f"Task {task_id} not found."])
            done = len(task.processed) + len(task.failed) + task.invalid
            body: dict[str, Any] = {
                "taskId": task.task_id,
                "status": task.status,
                "progressPercent": done * 100 // max(1, len(task.targets)),
                "submittedBy": {"accountId": task.actor.account_id},
                "created": task.created,
                "processedAccessibleIssues": list(task.processed),
                "failedAccessibleIssues": dict(task.failed),
                "invalidOrInaccessibleIssueCount": task.invalid,
                "totalIssueCount": len(task.targets),
            }
            if task.started:
                body["started"] = task.started
            if task.updated:
                body["updated"] = task.updated
            return body

    def _execute(self, task: BulkTask) -> None:
        # A real queue takes a moment to pick a task up; clients must poll, not assume.
        time.sleep(self.delay_seconds)
        with self._lock:
            task.status = "RUNNING"
            task.started = jira_timestamp(self.store.clock())
        for target in task.targets:
            self._edit_one(task, target)
        with self._lock:
            task.status = "COMPLETE"
            task.updated = jira_timestamp(self.store.clock())

    def _edit_one(self, task: BulkTask, target: str) -> None:
        issue = self.store.find(target)
        if issue is None:
            with self._lock:
                task.invalid += 1
            return
        if not task.actor.can_edit:
            with self._lock:
                task.failed[issue["id"]] = ["You do not have permission to edit this issue."]
            return
        if self.limiter is not None and not self.limiter.issue_write_allowed(issue["key"]):
            with self._lock:
                task.failed[issue["id"]] = ["Too many updates to this issue (per-issue limit)."]
            return
        current = list(issue["fields"].get("labels") or [])
        if task.option == "ADD":
            new = current + [label for label in task.labels if label not in current]
        elif task.option == "REMOVE":
            new = [label for label in current if label not in task.labels]
        elif task.option == "REPLACE":
            new = list(task.labels)
        else:
            new = []
        self.store.commit(issue["key"], {"labels": sorted(new)}, task.actor, bulk=True)
        with self._lock:
            task.processed.append(int(issue["id"]))
