"""Plain-text building blocks shared by the commands' outputs.

Off a terminal (or with ``--format plain``) output is one record per line, columns aligned,
never truncated and never wrapped, so that ``| cat``, ``| grep`` and logs keep every character.
"""

from __future__ import annotations

from collections.abc import Sequence

MINUS = "\N{MINUS SIGN}"


def change_counts(issues: int, added: int, removed: int) -> str:
    """The one wording of a label change count: ``77 issues, +89 \N{MINUS SIGN}3 labels``."""
    noun = "issue" if issues == 1 else "issues"
    return f"{issues} {noun}, +{added} {MINUS}{removed} labels"


def aligned(rows: Sequence[Sequence[str]], gutter: str = "  ") -> list[str]:
    """Rows as lines with every column but the last padded to its widest cell."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append(gutter.join([*cells, row[-1]]).rstrip())
    return lines


def label_delta(add: Sequence[str], remove: Sequence[str]) -> str:
    """``+roadmap-r2 \N{MINUS SIGN}roadmap-r1``: what one change adds and removes."""
    return " ".join([*(f"+{label}" for label in add), *(f"{MINUS}{label}" for label in remove)])
