"""The HTML report's three charts as inline SVG, drawn in Python so the page needs no script.

Each function returns escaped markup for one ``<svg role="img">`` with a ``<title>`` and a
stable id: ``chart-alignment``, ``chart-scope`` and ``chart-change``. Every mark carries its own
``<title>`` too, so hovering (or a screen reader) gives the exact number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from roadmap_sync.core.drift import TrendPoint
from roadmap_sync.core.model import Verdict
from roadmap_sync.reports.fmt import percent
from roadmap_sync.reports.model import VERDICT_TITLES, ReleaseSection

__all__ = ["COLORS", "alignment_chart", "change_chart", "scope_chart"]

WIDTH = 720
FONT = 12
LABEL_WIDTH = 150  # the release-name column of the bar charts
MAX_LABEL = 22
COLORS = {
    # Distinct in hue and lightness, so the stack still reads in greyscale print.
    Verdict.ALIGNED: "#2b8a6e",
    Verdict.OUT_OF_SCOPE: "#e8a33d",
    Verdict.ORPHAN: "#c8453b",
    Verdict.IGNORED: "#b8bec6",
}
ENTERED, LEFT = "#3b73b9", "#9aa5b1"
FLAGGED, CLEARED = "#c8453b", "#2b8a6e"
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _n(value: float) -> str:
    """A coordinate with at most one decimal: short markup, sub-pixel accuracy is invisible."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def el(name: str, *children: Markup | str, **attrs: float | str) -> Markup:
    """An SVG element; `class_` becomes class, other underscores become dashes."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="'
        f'{escape(_n(value) if isinstance(value, float | int) else value)}"'
        for key, value in attrs.items()
    )
    inner = Markup("").join(children)
    if not inner:
        return Markup(f"<{name}{rendered}/>")
    return Markup(f"<{name}{rendered}>") + inner + Markup(f"</{name}>")


def title(text: str) -> Markup:
    """A <title>: the accessible name of a chart, the tooltip of a mark."""
    return el("title", text)


def svg(chart_id: str, label: str, height: float, *body: Markup) -> Markup:
    """The outer <svg>, scaling to its container's width."""
    return el(
        "svg",
        title(label),
        *body,
        id=chart_id,
        class_="chart",
        role="img",
        viewBox=f"0 0 {WIDTH} {_n(height)}",
        width="100%",
        preserveAspectRatio="xMinYMin meet",
        font_size=FONT,
        font_family="inherit",
    )


def text(x: float, y: float, content: str, **attrs: float | str) -> Markup:
    """A text label, muted grey unless told otherwise."""
    return el("text", content, x=x, y=y, fill=attrs.pop("fill", MUTED), **attrs)


def short(label: str) -> str:
    """A release name shortened to fit the label column."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def day_label(moment: dt.datetime) -> str:
    """16 Nov: locale-independent, unlike strftime('%b')."""
    return f"{moment.day} {_MONTHS[moment.month - 1]}"


def legend(x: float, y: float, entries: Iterable[tuple[str, str]]) -> Markup:
    """Colour swatches with names, in one row."""
    parts = []
    for color, name in entries:
        parts.append(el("rect", x=x, y=y - 9, width=10, height=10, rx=2, fill=color))
        parts.append(text(x + 14, y, name, fill=INK))
        x += 14 + 7 * len(name) + 18
    return el("g", *parts, class_="legend")


def _empty(chart_id: str, label: str, message: str) -> Markup:
    return svg(chart_id, label, 60, text(WIDTH / 2, 34, message, text_anchor="middle"))


# --- alignment trend -------------------------------------------------------------------------

_TOP, _BOTTOM, _LEFT, _RIGHT = 16.0, 40.0, 44.0, 24.0
_PLOT_HEIGHT = 180.0


def _x_positions(points: Sequence[TrendPoint]) -> list[float]:
    """Points placed by time, so a skipped week shows as a gap."""
    span = WIDTH - _LEFT - _RIGHT
    if len(points) == 1:
        return [_LEFT + span / 2]
    start, end = points[0].at, points[-1].at
    total = (end - start).total_seconds() or 1.0
    return [_LEFT + span * (p.at - start).total_seconds() / total for p in points]


def _y(score: float) -> float:
    return _TOP + _PLOT_HEIGHT * (1 - max(0.0, min(1.0, score)))


def _axes(xs: Sequence[float], points: Sequence[TrendPoint]) -> list[Markup]:
    parts = []
    for tick in (0, 25, 50, 75, 100):
        y = _y(tick / 100)
        parts.append(el("line", x1=_LEFT, x2=WIDTH - _RIGHT, y1=y, y2=y, stroke=GRID))
        parts.append(text(_LEFT - 8, y + 4, f"{tick}%", text_anchor="end"))
    # Label at most ~8 dates so they never collide; always label the latest.
    step = max(1, -(-len(points) // 8))
    for index in range(len(points) - 1, -1, -step):
        parts.append(
            text(
                xs[index],
                _TOP + _PLOT_HEIGHT + 22,
                day_label(points[index].at),
                text_anchor="middle",
            )
        )
    return parts


def alignment_chart(trend: Sequence[TrendPoint]) -> Markup:
    """Line chart of the alignment score, one point per run, on a 0 to 100% axis."""
    label = "Alignment score over time"
    if not trend:
        return _empty("chart-alignment", label, "No alignment score yet: no open items to trace.")
    xs = _x_positions(trend)
    ys = [_y(point.score) for point in trend]
    coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in zip(xs, ys, strict=True))
    base = _y(0)
    area = f"M{_n(xs[0])},{_n(base)} L{coords.replace(' ', ' L')} L{_n(xs[-1])},{_n(base)} Z"
    marks = [
        el(
            "circle",
            title(f"{point.at.date().isoformat()}: {percent(point.score)}"),
            cx=x,
            cy=y,
            r=4,
            fill="#fff",
            stroke=ENTERED,
            stroke_width=2,
            class_="point",
        )
        for point, x, y in zip(trend, xs, ys, strict=True)
    ]
    last = text(
        xs[-1],
        ys[-1] - 10,
        percent(trend[-1].score),
        text_anchor="middle",
        fill=INK,
        font_weight="bold",
        font_size=14,
    )
    height = _TOP + _PLOT_HEIGHT + _BOTTOM
    return svg(
        "chart-alignment",
        f"{label}: {percent(trend[0].score)} to {percent(trend[-1].score)}",
        height,
        *_axes(xs, trend),
        el("path", d=area, fill=ENTERED, fill_opacity="0.08", class_="area"),
        el(
            "polyline",
            points=coords,
            fill="none",
            stroke=ENTERED,
            stroke_width=2.5,
            stroke_linejoin="round",
            class_="line",
        ),
        *marks,
        last,
    )


# --- scope per release, stacked by verdict ---------------------------------------------------

_ROW = 30.0
_BAR = 18.0
_LEGEND = 28.0


DONE = "#7b8794"


def _segment(section: ReleaseSection, what: str, count: int, x: float, y: float, scale: float,
             color: str, css: str, dark_text: bool) -> tuple[list[Markup], float]:  # fmt: skip
    width = count * scale
    parts = [
        el(
            "rect",
            title(f"{section.title}: {count} {what}"),
            x=x,
            y=y,
            width=width,
            height=_BAR,
            fill=color,
            class_=css,
        )
    ]
    if width >= 8 * len(str(count)) + 6:
        fill = INK if dark_text else "#fff"
        parts.append(
            text(x + width / 2, y + 13, str(count), fill=fill, text_anchor="middle", font_size=11)
        )
    return parts, x + width


def _stack(section: ReleaseSection, y: float, scale: float) -> list[Markup]:
    """Open items by verdict, then the done items: the segments add up to the release's items."""
    parts = [text(0, y + 13, short(section.title), fill=INK)]
    x = float(LABEL_WIDTH)
    for verdict, color in COLORS.items():
        count = section.open_verdicts[verdict]
        if count:
            what = f"open {VERDICT_TITLES[verdict].lower()}"
            dark = verdict in (Verdict.OUT_OF_SCOPE, Verdict.IGNORED)
            marks, x = _segment(
                section, what, count, x, y, scale, color, f"seg seg-{verdict.value}", dark
            )
            parts.extend(marks)
    if section.done_items:
        marks, x = _segment(
            section, "done", section.done_items, x, y, scale, DONE, "seg seg-done", False
        )
        parts.extend(marks)
    parts.append(text(x + 6, y + 13, f"{section.items} items", fill=INK))
    return parts


def scope_chart(sections: Sequence[ReleaseSection]) -> Markup:
    """Horizontal bars per release: open items stacked by verdict, then done items."""
    label = "Items per release: open items by verdict, then done items"
    if not any(section.items for section in sections):
        return _empty("chart-scope", label, "No backlog items yet.")
    largest = max(section.items for section in sections)
    scale = (WIDTH - LABEL_WIDTH - 70) / largest
    keys = [(COLORS[v], f"Open {t.lower()}" if v is Verdict.ALIGNED else t)
            for v, t in VERDICT_TITLES.items()]  # fmt: skip
    parts = [legend(LABEL_WIDTH - 60, 14, [*keys, (DONE, "Done")])]
    for row, section in enumerate(sections):
        parts.extend(_stack(section, _LEGEND + row * _ROW, scale))
    return svg("chart-scope", label, _LEGEND + len(sections) * _ROW, *parts)


# --- change since the previous run, diverging bars -------------------------------------------

_PANEL = (WIDTH - LABEL_WIDTH) / 2  # two panels side by side: items, then flags
_CHANGE_ROW = 28.0
_CHANGE_TOP = 44.0


@dataclass(frozen=True, slots=True)
class _Panel:
    """One diverging-bar panel: a decrease drawn left of its axis, an increase right of it."""

    name: str
    down_word: str
    up_word: str
    down_color: str
    up_color: str


_PANELS = (
    _Panel("Items", "left", "entered", LEFT, ENTERED),
    _Panel("Flags", "cleared", "newly flagged", CLEARED, FLAGGED),
)


def _changes(section: ReleaseSection) -> tuple[tuple[int, int], tuple[int, int]]:
    """(down, up) per panel: items left and entered, flags cleared and raised."""
    return (
        (section.left.total, section.entered.total),
        (section.cleared.total, section.newly_flagged.total),
    )


def _panel_head(panel: _Panel, axis: float) -> Markup:
    return el(
        "g",
        text(axis, 14, panel.name, fill=INK, font_weight="bold", text_anchor="middle"),
        text(axis - 8, 30, f"◀ {panel.down_word}", text_anchor="end", font_size=11),
        text(axis + 8, 30, f"{panel.up_word} ▶", font_size=11),
        class_="panel-head",
    )


def _diverging(
    panel: _Panel, counts: tuple[int, int], where: tuple[str, float, float], scale: float
) -> list[Markup]:
    section, axis, y = where
    parts = []
    for count, color, word, sign in (
        (counts[0], panel.down_color, panel.down_word, -1),
        (counts[1], panel.up_color, panel.up_word, 1),
    ):
        if not count:
            continue
        width = max(count * scale, 2.0)  # a single item must still show
        x = axis - width if sign < 0 else axis
        parts.append(
            el(
                "rect",
                title(f"{section}: {count} {word}"),
                x=x,
                y=y,
                width=width,
                height=14,
                rx=2,
                fill=color,
                class_=f"bar bar-{word.replace(' ', '-')}",
            )
        )
        label = f"{'+' if sign > 0 else '−'}{count}"
        end, anchor = (x - 4, "end") if sign < 0 else (x + width + 4, "start")
        parts.append(text(end, y + 11, label, fill=INK, text_anchor=anchor, font_size=11))
    return parts


def change_chart(sections: Sequence[ReleaseSection]) -> Markup:
    """Per release: items that left vs entered, and flags cleared vs raised, as diverging bars."""
    label = "Change since the previous report, per release"
    largest = max((n for s in sections for pair in _changes(s) for n in pair), default=0)
    if not largest:
        return _empty("chart-change", label, "Nothing changed since the previous report.")
    scale = (_PANEL / 2 - 30) / largest  # room for the "+12" at a bar's end
    axes = [LABEL_WIDTH + _PANEL * (index + 0.5) for index in range(len(_PANELS))]
    parts = [_panel_head(panel, axis) for panel, axis in zip(_PANELS, axes, strict=True)]
    bottom = _CHANGE_TOP + len(sections) * _CHANGE_ROW
    for index, section in enumerate(sections):
        y = _CHANGE_TOP + index * _CHANGE_ROW
        if index % 2 == 0:  # banding guides the eye across the two panels
            band = el("rect", x=0, y=y - 3, width=WIDTH, height=_CHANGE_ROW - 2, fill="#f5f7fa")
            parts.append(band)
        parts.append(text(4, y + 14, short(section.title), fill=INK))
        for panel, axis, counts in zip(_PANELS, axes, _changes(section), strict=True):
            parts.extend(_diverging(panel, counts, (section.title, axis, y + 3), scale))
    for axis in axes:
        parts.append(el("line", x1=axis, x2=axis, y1=_CHANGE_TOP - 6, y2=bottom, stroke=MUTED))
    return svg("chart-change", label, bottom + 4, *parts)
