"""File delivery: the report as dated HTML and Markdown files plus ``latest.*`` copies."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from roadmap_sync.reports.delivery.base import Channel, DeliveryJob, DeliveryResult
from roadmap_sync.reports.delivery.settings import DeliveryConfig

MAX_SLUG = 80
# Files are read by whatever serves the report (nginx, a browser on a share), not only by
# the bot; mkstemp's private 0600 would lock them out.
FILE_MODE = 0o644


def slugify(title: str) -> str:
    """A file-name-safe, lower-case ASCII slug of a report title."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "report"


def write_atomically(out_dir: Path, files: dict[str, str]) -> None:
    """Write all files or none: stage each in a temp file, then rename them into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            staged.append((name, _stage(out_dir, text)))
        for name, temp in staged:
            os.replace(temp, out_dir / name)  # atomic: readers see old or new, never half
    finally:
        for _, temp in staged:
            temp.unlink(missing_ok=True)


def _stage(out_dir: Path, text: str) -> Path:
    # The temp file sits in the target directory so that os.replace never crosses devices.
    fd, name = tempfile.mkstemp(dir=out_dir, prefix=".", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())  # a crash right after the rename must not leave 0 bytes
        temp.chmod(FILE_MODE)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def send(job: DeliveryJob) -> list[DeliveryResult]:
    """Write ``<slug>-<date>.html``/``.md`` and ``latest.html``/``.md`` to the report dir."""
    job.out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{slugify(job.report.title)}-{job.now.date().isoformat()}"
    report = job.report
    write_atomically(
        job.out_dir,
        {
            f"{stem}.html": report.html,
            f"{stem}.md": report.markdown,
            "latest.html": report.html,
            "latest.md": report.markdown,
        },
    )
    return [
        DeliveryResult(channel=f"file:{job.out_dir / name}", ok=True)
        for name in (f"{stem}.html", f"{stem}.md")
    ]


def _enabled(config: DeliveryConfig) -> bool:
    return True  # the report always lands on disk; the other channels come on top


def _label(job: DeliveryJob) -> str:
    return f"file:{job.out_dir}"


CHANNEL = Channel(name="file", enabled=_enabled, label=_label, send=send)
