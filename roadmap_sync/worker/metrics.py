"""Prometheus metrics of the worker, on a registry of its own (no process-global state)."""

from __future__ import annotations

import platform

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from roadmap_sync import __version__
from roadmap_sync.core.model import Verdict


class WorkerMetrics:
    """Runs, items, labels, Jira requests and rate-limit waits."""

    def __init__(self) -> None:
        # The *_created series double every counter and histogram and no dashboard reads them.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "roadmap_sync_runs",
            "Sync runs by roadmap, kind and outcome",
            ["roadmap", "kind", "outcome"],
            registry=self.registry,
        )
        self.run_seconds = Histogram(
            "roadmap_sync_run_duration_seconds",
            "Duration of sync runs",
            ["roadmap", "kind"],
            buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
            registry=self.registry,
        )
        self.items = Gauge(
            "roadmap_sync_items",
            "Backlog items by verdict at the last full sync",
            ["roadmap", "verdict"],
            registry=self.registry,
        )
        self.flagged = Gauge(
            "roadmap_sync_flagged_items",
            "Open items carrying a flag label at the last full sync (core/numbers.py)",
            ["roadmap", "flag"],
            registry=self.registry,
        )
        self.alignment = Gauge(
            "roadmap_sync_alignment_ratio",
            "Share of open backlog traceable to a release goal at the last full sync",
            ["roadmap"],
            registry=self.registry,
        )
        self.labels_added = Counter(
            "roadmap_sync_labels_added", "Labels added to Jira", ["roadmap"], registry=self.registry
        )
        self.labels_removed = Counter(
            "roadmap_sync_labels_removed",
            "Labels removed from Jira",
            ["roadmap"],
            registry=self.registry,
        )
        self.jira_requests = Counter(
            "roadmap_sync_jira_requests",
            "Jira HTTP responses by status code",
            ["status"],
            registry=self.registry,
        )
        self.rate_limit_waits = Counter(
            "roadmap_sync_rate_limit_waits", "Waits for Retry-After", registry=self.registry
        )
        self.rate_limit_seconds = Counter(
            "roadmap_sync_rate_limit_wait_seconds",
            "Seconds spent waiting for Retry-After",
            registry=self.registry,
        )
        self.webhooks = Counter(
            "roadmap_sync_webhooks",
            "Webhook requests by result",
            ["result"],
            registry=self.registry,
        )
        self.last_success = Gauge(
            "roadmap_sync_last_success_timestamp_seconds",
            "When the last successful full sync of a roadmap finished",
            ["roadmap"],
            registry=self.registry,
        )
        self.missing_fix_versions = Gauge(
            "roadmap_sync_missing_fix_versions",
            "Fix versions a roadmap names that Jira no longer has (renamed or deleted)",
            ["roadmap"],
            registry=self.registry,
        )
        self.reports = Counter(
            "roadmap_sync_reports", "Weekly reports by result", ["result"], registry=self.registry
        )
        self.leader = Gauge(
            "roadmap_sync_leader",
            "1 while this replica leads the roadmap (syncs it), 0 while another replica does",
            ["roadmap"],
            registry=self.registry,
        )
        self.build_info = Gauge(
            "roadmap_sync_build_info",
            "Always 1; the labels say which roadmap-sync and Python this replica runs",
            ["version", "python"],
            registry=self.registry,
        )
        self.build_info.labels(__version__, platform.python_version()).set(1)

    def record_verdicts(self, roadmap: str, counts: dict[str, int]) -> None:
        """Set the item gauges from a run's counts."""
        for verdict in Verdict:
            self.items.labels(roadmap, verdict.value).set(counts.get(f"verdict_{verdict.value}", 0))
        for flag in ("orphan", "out_of_scope"):
            if f"flag_{flag}" in counts:
                self.flagged.labels(roadmap, flag).set(counts[f"flag_{flag}"])

    def on_wait(self, seconds: float) -> None:
        """Retry-After hook of the tracker."""
        self.rate_limit_waits.inc()
        self.rate_limit_seconds.inc(seconds)

    def on_response(self, status: int) -> None:
        """Response hook of the tracker."""
        self.jira_requests.labels(str(status)).inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
