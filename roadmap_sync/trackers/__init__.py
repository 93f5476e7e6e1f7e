"""Tracker adapters: one module per tracker behind the ``Tracker`` protocol in base.py."""
