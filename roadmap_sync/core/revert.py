"""Undo one run's label changes, leaving alone whatever people changed since.

The inverse of a run is computed against Jira's current labels: a label the run added is
removed only if the issue still carries it, and a label the run removed is added back only if
it is still missing. Writes use add/remove verbs like every other write, so a concurrent edit
survives, and only bot-owned labels are ever touched (a run never changed any other).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from roadmap_sync.core.model import LabelChange, LabelPlan
from roadmap_sync.core.records import AuditRow


def inverse_changes(
    rows: Sequence[AuditRow], current: Mapping[str, Sequence[str]], opt_out: str
) -> LabelPlan:
    """The changes that undo the successful rows of a run, given today's labels per issue.

    Issues that no longer exist (absent from ``current``) are skipped, and so are issues that
    carry the opt-out label now: the bot leaves those alone, reverts included.
    """
    changes = []
    for row in rows:
        # A failed row records only what took effect (often nothing): undo exactly that.
        if row.key not in current or opt_out in current[row.key]:
            continue
        labels = tuple(current[row.key])
        add = tuple(label for label in row.removed if label not in labels)
        remove = tuple(label for label in row.added if label in labels)
        if add or remove:
            changes.append(LabelChange(row.key, add, remove, labels))
    return LabelPlan(tuple(changes))
