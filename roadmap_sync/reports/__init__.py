"""The weekly drift report: one model (`model.py`) and its renderings.

`build_report` turns a drift into a `Report`; `markdown.render_markdown`, `html.render_html`
and `json_report.render_json` lay the same report out for chat, browsers and mail, and tools.
Renderers are imported from their modules so that importing the model never loads Jinja2.
"""

from roadmap_sync.reports.model import Report, build_report

__all__ = ["Report", "build_report"]
