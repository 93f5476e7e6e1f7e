"""Help texts: every command with a description, examples and its exit statuses.

Paragraphs wrap to the terminal (argparse reads ``COLUMNS``); indented lines (examples,
variable lists) are kept as written, so a command line is never broken in two.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

EXIT_MEANINGS = {
    0: "ok",
    1: "the run failed (Jira unreachable, credentials refused, some writes failed)",
    2: "bad configuration or usage: nothing was read from or written to Jira",
    3: "the blast-radius guard refused to apply (review the plan, then --force)",
    4: "changes are pending (only with plan --detailed-exitcode)",
}
ENV_PREFIX = "ROADMAP_SYNC_"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Wraps paragraphs to the terminal's width; keeps indented lines as they are."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks: list[str] = []
        for block in text.strip("\n").split("\n\n"):
            lines = block.splitlines()
            if any(line.startswith(" ") for line in lines[1:]) or block.startswith(" "):
                blocks.append("\n".join(indent + line for line in lines))
            else:
                blocks.append(textwrap.fill(" ".join(lines), width, initial_indent=indent,
                                            subsequent_indent=indent))  # fmt: skip
        return "\n\n".join(blocks)


def epilog(examples: Sequence[tuple[str, str]], statuses: Iterable[int]) -> str:
    """The examples and exit statuses that end a command's help."""
    parts = []
    if examples:
        lines = [f"  {command}\n      {what}" for command, what in examples]
        parts.append("examples:\n" + "\n".join(lines))
    parts.append(
        "exit status:\n" + "\n".join(f"  {code}  {EXIT_MEANINGS[code]}" for code in statuses)
    )
    return "\n\n".join(parts)


def add_command(
    commands: argparse._SubParsersAction[Any],
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[tuple[str, str]] = (),
    statuses: Iterable[int] = (0, 1, 2),
    extra: str = "",
) -> argparse.ArgumentParser:
    """A sub-command whose help has a description, examples and exit statuses."""
    text = epilog(examples, statuses)
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"{extra}\n\n{text}" if extra else text,
        formatter_class=HelpFormatter,
    )
    return parser


def _default(field: Any) -> str:
    if field.is_required():
        return ""
    value = field.get_default(call_default_factory=True)
    if value is None or value in ([], ""):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f" (default {value})"


def environment(models: Iterable[type[BaseModel]], pattern: str = "") -> str:
    """``ROADMAP_SYNC_*`` variables of these settings models whose names match `pattern`."""
    lines = []
    for model in models:
        for name, field in model.model_fields.items():
            if pattern and not re.search(pattern, name):
                continue
            description = (field.description or "").removeprefix("serve: ")
            # Wrapped here: the help formatter keeps an epilog's own line breaks (80 columns).
            text = textwrap.fill(
                f"{description}{_default(field)}",
                width=78,
                initial_indent="      ",
                subsequent_indent="      ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            lines.append(f"  {ENV_PREFIX}{name.upper()}\n{text}")
    return "\n".join(lines)
