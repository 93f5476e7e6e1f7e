"""Label writes: ``update`` add/remove verbs only, so a person's concurrent edit survives.

On Cloud, larger plans go through the bulk edit API (one task per label and verb, polled to
its end); otherwise, and on Data Center, per-issue PUTs run with bounded concurrency.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import structlog
from jira import JIRAError

from roadmap_sync.core.model import LabelChange
from roadmap_sync.runtime.breaker import WriteBreaker
from roadmap_sync.trackers.base import ApplyOutcome, TrackerError
from roadmap_sync.trackers.jira.errors import describe
from roadmap_sync.trackers.jira.pacing import IssueWriteSpacer
from roadmap_sync.trackers.jira.session import JiraHttp, json_of

__all__ = ["LabelWriter"]

log = structlog.get_logger(__name__)

BULK_LIMIT = 1000
BULK_TASK_TIMEOUT = 600.0  # a bulk edit of 1000 issues takes seconds; ten minutes is stuck
BULK_DONE = frozenset({"COMPLETE", "FAILED", "CANCELLED", "DEAD"})
# The first poll waits for the task's expected time: the queue's pick-up plus a time per issue
# (a guess at first, then what this run's tasks took), so a task is mostly polled once.
BULK_PICKUP = 0.1
BULK_PER_ISSUE_GUESS = 0.0002
BULK_POLL_MIN = 0.05
BULK_POLL_MAX = 5.0


class LabelWriter:
    """Writes label changes and reports each one's outcome; never raises for one failure."""

    def __init__(
        self,
        http: JiraHttp,
        *,
        bulk: bool,
        concurrency: int,
        bulk_threshold: int,
        issue_ids: Mapping[str, str],
        spacer: IssueWriteSpacer | None = None,
    ) -> None:
        self.http = http
        self.bulk = bulk
        self.concurrency = concurrency
        self.bulk_threshold = bulk_threshold
        # Bulk task results name issues by id; searches remember each key's id here.
        self.issue_ids = issue_ids
        self.spacer = spacer
        self._pace = _BulkPace()

    def apply(
        self, changes: Sequence[LabelChange], breaker: WriteBreaker | None = None
    ) -> list[ApplyOutcome]:
        """Write label changes; per-issue outcomes, failures included.

        Once ``breaker`` opens (too many failures in a row, or the run's deadline), nothing
        more is sent: the remaining changes come back failed, "not sent".
        """
        if not changes:
            return []
        guard = breaker or WriteBreaker()
        if self.bulk and len(changes) >= self.bulk_threshold:
            return self._apply_bulk(changes, guard)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda change: self._apply_one(change, guard), changes))

    def _apply_one(self, change: LabelChange, breaker: WriteBreaker) -> ApplyOutcome:
        if not breaker.allow():
            return ApplyOutcome(change, ok=False, error=f"not sent: {breaker.reason}")
        outcome = self._put(change, breaker)
        breaker.record(outcome.ok)
        return outcome

    def _put(self, change: LabelChange, breaker: WriteBreaker) -> ApplyOutcome:
        operations = [{"add": label} for label in change.add]
        operations += [{"remove": label} for label in change.remove]
        body = json.dumps({"update": {"labels": operations}})
        url = self.http.url(f"issue/{change.key}")
        if self.spacer is not None:
            self.spacer.wait(change.key)

        def attempt() -> None:
            self.http.counted("issue_put")
            self.http.session.put(url, params={"notifyUsers": "false"}, data=body)

        try:
            self.http.retried(attempt, time_left=breaker.time_left)
        except (JIRAError, requests.RequestException) as error:
            log.warning("label_write_failed", issue=change.key, error=describe(error))
            return ApplyOutcome(change, ok=False, error=describe(error))
        return ApplyOutcome(change, ok=True)

    def _apply_bulk(
        self, changes: Sequence[LabelChange], breaker: WriteBreaker
    ) -> list[ApplyOutcome]:
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for change in changes:
            for label in change.add:
                groups[("ADD", label)].append(change.key)
            for label in change.remove:
                groups[("REMOVE", label)].append(change.key)
        errors: dict[str, list[str]] = defaultdict(list)
        failed: set[tuple[str, str, str]] = set()  # (key, option, label)
        for (option, label), keys in sorted(groups.items()):
            for start in range(0, len(keys), BULK_LIMIT):
                batch = keys[start : start + BULK_LIMIT]
                if breaker.allow():
                    problems = self._bulk_task(option, label, batch, breaker)
                    breaker.record(len(problems) < len(batch))
                else:
                    problems = dict.fromkeys(batch, f"not sent: {breaker.reason}")
                for key, problem in problems.items():
                    errors[key].append(problem)
                    failed.add((key, option, label))
        return [_bulk_outcome(c, errors.get(c.key), failed) for c in changes]

    def _bulk_task(
        self, option: str, label: str, keys: list[str], breaker: WriteBreaker
    ) -> dict[str, str]:
        """Run one bulk edit to completion; the keys that failed, with why."""
        body = json.dumps(
            {
                "selectedActions": ["labels"],
                "selectedIssueIdsOrKeys": keys,
                "editedFieldsInput": {
                    "labelsFields": [
                        {
                            "fieldId": "labels",
                            "bulkEditMultiSelectFieldOption": option,
                            "labels": [{"name": label}],
                        }
                    ]
                },
                "sendBulkNotification": False,
            }
        )
        submit_url = self.http.url("bulk/issues/fields", v3=True)

        def submit() -> str:
            self.http.counted("bulk_submit")
            return str(json_of(self.http.session.post(submit_url, data=body))["taskId"])

        try:
            task_id = self.http.retried(submit, time_left=breaker.time_left)
            progress = self._poll(task_id, len(keys))
        except (JIRAError, requests.RequestException, TrackerError) as error:
            log.warning("bulk_edit_failed", option=option, label=label, error=describe(error))
            return dict.fromkeys(keys, describe(error))
        processed = {str(i) for i in progress.get("processedAccessibleIssues", [])}
        failed = progress.get("failedAccessibleIssues", {}) or {}
        problems: dict[str, str] = {}
        for key in keys:
            issue_id = self.issue_ids.get(key, key)
            if issue_id in failed:
                problems[key] = "; ".join(failed[issue_id])
            elif issue_id not in processed:
                problems[key] = f"bulk task {task_id} ended {progress.get('status')} without it"
        log.info(
            "bulk_edit_done", option=option, label=label, issues=len(keys), failed=len(problems)
        )
        return problems

    def _poll(self, task_id: str, issues: int) -> dict[str, Any]:
        """Wait for a bulk task to end: first as long as tasks of this run took (so most are
        polled once), then as long as its reported progress says is left."""
        url = self.http.url(f"bulk/queue/{task_id}", v3=True)

        def attempt() -> Any:
            self.http.counted("bulk_queue")
            return json_of(self.http.session.get(url))

        submitted = time.monotonic()
        deadline = submitted + BULK_TASK_TIMEOUT
        wait = self._pace.expected(issues)
        polls = 0
        while True:
            time.sleep(wait)
            progress: dict[str, Any] = self.http.retried(attempt)
            polls += 1
            elapsed = time.monotonic() - submitted
            if progress.get("status") in BULK_DONE:
                self._pace.learn(issues, elapsed, polls)
                return progress
            if time.monotonic() > deadline:
                # Its changes are recorded as failed; the next run re-reads and converges.
                raise TrackerError(
                    f"bulk task {task_id} still {progress.get('status')} after "
                    f"{BULK_TASK_TIMEOUT:.0f}s"
                )
            wait = _remaining(progress, elapsed, wait)


class _BulkPace:
    """How long bulk tasks take on this site, learnt task by task within one writer."""

    def __init__(self) -> None:
        self.per_issue = BULK_PER_ISSUE_GUESS

    def expected(self, issues: int) -> float:
        """Seconds to wait before a task's first poll."""
        return BULK_PICKUP + self.per_issue * issues

    def learn(self, issues: int, elapsed: float, polls: int) -> None:
        """Fold in a finished task: done at the first poll, try a little less next time."""
        if polls == 1:
            self.per_issue *= 0.9
        elif issues:
            observed = max(0.0, elapsed - BULK_PICKUP) / issues
            self.per_issue = (self.per_issue + observed) / 2


def _remaining(progress: dict[str, Any], elapsed: float, waited: float) -> float:
    """The wait before the next poll: what the progress so far says is left, else double."""
    percent = progress.get("progressPercent")
    if isinstance(percent, int | float) and 0 < percent < 100:
        left = elapsed * (100 - percent) / percent
        return min(max(left, BULK_POLL_MIN), BULK_POLL_MAX)
    return min(max(waited * 2, BULK_POLL_MIN), BULK_POLL_MAX)


def _bulk_outcome(
    change: LabelChange, errors: list[str] | None, failed: set[tuple[str, str, str]]
) -> ApplyOutcome:
    """One change's outcome from its label groups: each ADD/REMOVE succeeded or failed alone."""
    if not errors:
        return ApplyOutcome(change, ok=True)
    added = tuple(label for label in change.add if (change.key, "ADD", label) not in failed)
    removed = tuple(label for label in change.remove if (change.key, "REMOVE", label) not in failed)
    partial = LabelChange(change.key, added, removed, change.before)
    return ApplyOutcome(change, ok=False, error="; ".join(errors), partial=partial)
