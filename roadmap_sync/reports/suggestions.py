"""The top suggestions of ``roadmap-sync suggest``, as sentences for the weekly report.

Kept apart from the report model: it reads the stored ``roadmap-sync/suggest@1`` document and
returns plain sentences that any renderer shows with the report's highlights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["suggestion_highlights"]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def suggestion_highlights(document: Mapping[str, Any], limit: int = 3) -> list[str]:
    """Up to `limit` confident suggestions (most items first) and the largest new feature."""
    confident = [s for s in document.get("suggestions", ()) if s.get("confident")]
    confident.sort(key=lambda s: (-int(s.get("items", 1)), str(s.get("key"))))
    lines = []
    for found in confident[:limit]:
        best = found["candidates"][0]
        items = int(found.get("items", 1))
        beneath = f" with {_plural(items - 1, 'item')} beneath it" if items > 1 else ""
        lines.append(
            f"Suggestion: {found['key']} '{found['summary']}'{beneath} probably belongs to "
            f"feature '{best['feature']}' of {best['release']} (score {best['score']:.2f}; "
            f"{best['evidence'][0] if best.get('evidence') else 'similar wording'})."
        )
    clusters = list(document.get("clusters", ()))
    if clusters:
        biggest = clusters[0]
        lines.append(
            f"Suggestion: {_plural(int(biggest['items']), 'unclaimed item')} look like a feature "
            f"the roadmap lacks: '{biggest['name']}' ({', '.join(biggest['keys'][:5])})."
        )
    return lines
