"""The weekly drift report: one model (`model.py`) and its renderings.

`model.build_report` turns a drift into a `Report`; `markdown.render_markdown`,
`html.render_html` and `json_report.render_json` lay the same report out for chat, browsers
and mail, and tools. Everything is imported from its module: the package itself imports
nothing, so that every command, which reads the delivery settings (`delivery.settings`) to
mask their secrets, does not also load the report model and the drift it is built from.
"""
