"""The sandbox's JQL evaluator: compiles a parsed query (``roadmap_sync.jql``) against a site.

``context`` (what a site tells the evaluator), ``fields`` (which fields exist and how they
compare), ``match``/``match_values`` (clause predicates), ``dates`` and ``text`` (date
functions and text search), ``sort`` (ORDER BY), ``eval`` (the compiler tying them together).
"""
