"""``roadmap-sync serve``: scheduled syncs, webhook re-syncs, the weekly report, HTTP, signals."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from roadmap_sync.core.plan import check_guard
from roadmap_sync.core.records import RunRecord
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.incremental import SteadySync
from roadmap_sync.engine.recorder import RunRecorder
from roadmap_sync.engine.runner import utc_now
from roadmap_sync.engine.targeted import targeted_plan
from roadmap_sync.runtime.http import wait_for_signal
from roadmap_sync.runtime.redact import Redactor
from roadmap_sync.runtime.schedule import cron_trigger
from roadmap_sync.runtime.settings import Settings
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.base import Tracker
from roadmap_sync.worker.http import HttpLimits, HttpResponse, make_server
from roadmap_sync.worker.leader import Leadership
from roadmap_sync.worker.metrics import WorkerMetrics
from roadmap_sync.worker.version_watch import VersionWatch
from roadmap_sync.worker.webhooks import Debouncer, IssueEvent, VersionEvent, parse_event, verify

log = structlog.get_logger(__name__)
SUCCESS = frozenset({"ok", "planned"})


class TrackerFactory(Protocol):
    """Connects to the configured tracker; the hooks feed the worker's metrics."""

    def __call__(
        self,
        *,
        on_wait: Callable[[float], None] | None = None,
        on_response: Callable[[int], None] | None = None,
    ) -> Tracker:
        """A connected tracker (raises when it cannot connect)."""
        ...


def http_limits(settings: Settings) -> HttpLimits:
    """What the HTTP server accepts from clients, from the settings."""
    token = settings.http_token
    return HttpLimits(
        max_connections=settings.http_max_connections,
        read_timeout=settings.http_read_timeout,
        idle_timeout=settings.http_idle_timeout,
        token=token.get_secret_value() if token is not None else None,
    )


class Worker:
    """Owns the scheduler, the HTTP server and the shared state of one worker process."""

    def __init__(
        self,
        settings: Settings,
        redactor: Redactor,
        connect: TrackerFactory,
        roadmaps: Sequence[Roadmap],
        store: StateStore,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        self.connect = connect
        self.roadmaps = list(roadmaps)
        self.store = store
        self.clock = clock
        self.metrics = WorkerMetrics()
        self.leadership = Leadership(self.settings.resolved_state_url())
        self.stopping = threading.Event()
        self.started_at = clock()
        self._tracker: Tracker | None = None
        self._tracker_lock = threading.Lock()
        self._roadmap_locks = {r.product: threading.Lock() for r in self.roadmaps}
        self.scheduler = BackgroundScheduler(
            timezone=self.settings.timezone,
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": int(self.settings.misfire_grace),
            },
        )
        # Scheduled syncs read only what changed, with a full reconcile on its own schedule.
        self.steady = SteadySync(
            store,
            full_cron=settings.full_sync_cron,
            timezone=settings.timezone,
            overlap=dt.timedelta(seconds=settings.incremental_overlap),
            retention=settings.retention_policy(),
        )
        self.debouncer = Debouncer(self.settings.webhook_debounce, self.resync_keys)
        self.version_watch = VersionWatch()
        self.http = make_server(
            self.settings.http_host, self.settings.http_port, self, http_limits(self.settings)
        )

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Schedule the jobs and start serving HTTP."""
        settings = self.settings
        for roadmap in self.roadmaps:
            trigger = (
                cron_trigger(settings.sync_cron, settings.timezone)
                if settings.sync_cron
                else IntervalTrigger(seconds=settings.sync_interval)
            )
            self.scheduler.add_job(
                self.sync_job,
                trigger,
                args=[roadmap],
                id=f"sync:{roadmap.product}",
                next_run_time=self.clock(),
            )
        self.scheduler.add_job(
            self.report_job,
            cron_trigger(settings.report_cron, settings.timezone),
            id="weekly-report",
        )
        self.scheduler.start()
        threading.Thread(target=self.http.serve_forever, name="http", daemon=True).start()
        host, port = self.http.server_address[:2]
        log.info("worker_started", http=f"http://{host!s}:{port}", roadmaps=len(self.roadmaps))

    def stop(self) -> None:
        """Stop taking work, let the current write batch finish, release everything."""
        self.stopping.set()
        self.debouncer.cancel()
        log.info("worker_stopping")
        done = threading.Event()

        def shutdown_scheduler() -> None:
            self.scheduler.shutdown(wait=True)
            done.set()

        threading.Thread(target=shutdown_scheduler, daemon=True).start()
        if not done.wait(self.settings.shutdown_timeout):
            log.warning("worker_stop_timeout", seconds=self.settings.shutdown_timeout)
        self.http.shutdown()
        self.http.server_close()
        self.leadership.release_all()
        log.info("worker_stopped")

    def run_until_signal(self) -> int:
        """Serve until SIGTERM or SIGINT, then stop cleanly."""
        self.start()
        signum = wait_for_signal()
        log.info("signal_received", signal=signum)
        self.stop()
        return 0

    # -- jobs ----------------------------------------------------------------------------------
    def tracker(self) -> Tracker:
        """A connected tracker, reconnecting after a failure."""
        with self._tracker_lock:
            if self._tracker is None:
                self._tracker = self.connect(
                    on_wait=self.metrics.on_wait, on_response=self.metrics.on_response
                )
            return self._tracker

    def _forget_tracker(self) -> None:
        with self._tracker_lock:
            self._tracker = None

    def _leads(self, roadmap: Roadmap) -> bool:
        """Whether this replica leads the roadmap (acquiring it if free), kept in the metrics."""
        leads = self.leadership.lead(f"roadmap:{roadmap.product}")
        self.metrics.leader.labels(roadmap.product).set(1 if leads else 0)
        return leads

    def sync_job(self, roadmap: Roadmap) -> None:
        """A scheduled sync (incremental or full); failures are logged and retried later."""
        name = f"roadmap:{roadmap.product}"
        if self.stopping.is_set() or not self._leads(roadmap):
            log.debug("sync_skipped_not_leader", roadmap=roadmap.product)
            return

        def lost_leadership() -> str | None:
            if self.leadership.holds(name):
                return None
            return "this replica lost the leadership of the roadmap (database connection lost)"

        started = time.perf_counter()
        try:
            # A run whose process still works (a former leader finishing its last writes, a
            # 'run --once' beside the worker) goes first: two runs never write at once.
            live = self.store.live_runs(roadmap.product)
            if live:
                log.info("sync_deferred_run_in_progress", roadmap=roadmap.product, runs=live)
                return
            with self._roadmap_locks[roadmap.product]:
                result = self.steady.sync(
                    roadmap,
                    self.tracker(),
                    kind="run",
                    should_stop=self.stopping.is_set,
                    clock=self.clock,
                    write_limits=self.settings.write_limits(),
                    halt=lost_leadership,
                )
        except Exception as error:  # a failing job must never kill the worker
            self._forget_tracker()
            self.metrics.runs.labels(roadmap.product, "run", "failed").inc()
            log.error("sync_failed", roadmap=roadmap.product, error=self.redactor.text(repr(error)))
            return
        self._observe(result.run, time.perf_counter() - started)
        self._remember_versions(roadmap)

    def _remember_versions(self, roadmap: Roadmap) -> None:
        """Note the projects' versions, so that a later version event can tell a rename."""
        try:
            tracker = self.tracker()
            for project in roadmap.tracker.projects:
                self.version_watch.remember(project, tracker.version_ids(project))
        except Exception as error:  # only renames' wording depends on it
            log.warning("versions_unread", roadmap=roadmap.product, error=repr(error))

    def _observe(self, run: RunRecord, seconds: float) -> None:
        self.metrics.runs.labels(run.roadmap, run.kind, run.outcome).inc()
        self.metrics.run_seconds.labels(run.roadmap, run.kind).observe(seconds)
        added = run.counts.get("labels_added", 0) if run.outcome != "refused" else 0
        removed = run.counts.get("labels_removed", 0) if run.outcome != "refused" else 0
        self.metrics.labels_added.labels(run.roadmap).inc(added)
        self.metrics.labels_removed.labels(run.roadmap).inc(removed)
        if run.kind == "run":
            self.metrics.record_verdicts(run.roadmap, run.counts)
            if run.alignment is not None:
                self.metrics.alignment.labels(run.roadmap).set(run.alignment)
        if run.outcome in SUCCESS and run.kind == "run":
            self.metrics.last_success.labels(run.roadmap).set(time.time())

    def resync_keys(self, pending: frozenset[Any]) -> None:
        """Targeted re-sync after webhooks (debounced): issues, and versions' items."""
        keys = frozenset(k for k in pending if isinstance(k, str))
        versions = [e for e in pending if isinstance(e, VersionEvent)]
        if versions:
            keys |= self._on_versions(versions)
        for roadmap in self.roadmaps:
            mine = {k for k in keys if k.rsplit("-", 1)[0] in roadmap.tracker.projects}
            if not mine or self.stopping.is_set():
                continue
            if not self.leadership.lead(f"roadmap:{roadmap.product}"):
                continue
            try:
                with self._roadmap_locks[roadmap.product]:
                    self._targeted(roadmap, mine)
            except Exception as error:  # the next full sync converges anyway
                self._forget_tracker()
                log.error("resync_failed", keys=sorted(mine), error=self.redactor.text(repr(error)))

    def _on_versions(self, events: list[VersionEvent]) -> frozenset[str]:
        """Warn about roadmap fix_versions gone stale; the keys of the versions' items."""
        keys: set[str] = set()
        for roadmap in self.roadmaps:
            if self.stopping.is_set() or not self.leadership.lead(f"roadmap:{roadmap.product}"):
                continue
            try:
                outcome = self.version_watch.handle(roadmap, self.tracker(), events)
            except Exception as error:  # the next full sync converges anyway
                self._forget_tracker()
                log.error("version_event_failed", error=self.redactor.text(repr(error)))
                continue
            if outcome is None:
                continue
            self.metrics.missing_fix_versions.labels(roadmap.product).set(len(outcome.findings))
            keys |= outcome.retrace
            if outcome.full_sync:
                # Findings belong in a recorded run (and so in the report); a deleted version's
                # items can no longer be found by a query: a full sync now sees both.
                try:
                    job = f"sync:{roadmap.product}"
                    self.scheduler.modify_job(job, next_run_time=self.clock())
                except Exception as error:  # the scheduled sync comes anyway
                    log.warning("full_sync_not_advanced", error=repr(error))
        return frozenset(keys)

    def _targeted(self, roadmap: Roadmap, keys: set[str]) -> None:
        started = time.perf_counter()
        tracker = self.tracker()
        today = self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()
        written = self.store.written_labels(roadmap.product)
        plan, traced = targeted_plan(tracker, roadmap, keys, today, written)
        if not plan.changes:
            return
        # The share limit is meaningless on a subset; the absolute limit still applies.
        guard = roadmap.guard.model_copy(update={"max_share": 1.0})
        decision = check_guard(plan, traced, guard, force=False)
        recorder = RunRecorder(self.store, roadmap, "webhook", self.clock)
        if not decision.allowed:
            run = recorder.finish_targeted({"changes_planned": plan.issues}, "refused")
            log.warning("resync_refused", reason=decision.message)
        else:
            run, _ = recorder.apply_and_finish(tracker, plan, items=traced)
        self._observe(run, time.perf_counter() - started)

    def report_job(self) -> None:
        """The weekly report, sent by the leader of each roadmap only."""
        from roadmap_sync.engine.publish import weekly_report  # noqa: PLC0415 - jinja2 only when used

        for roadmap in self.roadmaps:
            if self.stopping.is_set() or not self.leadership.lead(f"roadmap:{roadmap.product}"):
                continue
            try:
                sent = weekly_report(self.settings, self.store, roadmap, self.clock())
                self.metrics.reports.labels("sent" if sent else "skipped").inc()
            except Exception as error:  # a failing job must never kill the worker
                self.metrics.reports.labels("failed").inc()
                log.error("report_failed", roadmap=roadmap.product, error=repr(error))

    # -- HTTP endpoints ------------------------------------------------------------------------
    def healthz(self) -> HttpResponse:
        """Alive while the scheduler runs."""
        if self.scheduler.running and not self.stopping.is_set():
            return HttpResponse(200, b"ok\n")
        return HttpResponse(503, b"stopping\n")

    def readyz(self) -> HttpResponse:
        """Config loaded, state store reachable, last sync succeeded within its interval."""
        problems = []
        if not self.store.ping():
            problems.append("state store unreachable")
        now = self.clock()
        window = 2 * self._sync_period(now) + dt.timedelta(seconds=self.settings.misfire_grace)
        for roadmap in self.roadmaps:
            last = self._last_success(roadmap.product)
            if last is None:
                if now - self.started_at > window:
                    problems.append(f"{roadmap.product}: no successful sync yet")
            elif now - last > window:
                problems.append(f"{roadmap.product}: last successful sync {last.isoformat()}")
        roles = "; ".join(
            ("leader of " if self.leadership.holds(f"roadmap:{r.product}") else "follower for ")
            + r.product
            for r in self.roadmaps
        )
        if problems:
            body = f"not ready: {'; '.join(problems)} ({roles})\n"
            return HttpResponse(503, body.encode())
        return HttpResponse(200, f"ready: {roles}\n".encode())

    def _sync_period(self, now: dt.datetime) -> dt.timedelta:
        """Time between two scheduled full syncs (from the cron expression when there is one)."""
        if not self.settings.sync_cron:
            return dt.timedelta(seconds=self.settings.sync_interval)
        trigger = cron_trigger(self.settings.sync_cron, self.settings.timezone)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + dt.timedelta(microseconds=1))
        if first is None or second is None:
            return dt.timedelta(seconds=self.settings.sync_interval)
        gap: dt.timedelta = second - first
        return gap

    def _last_success(self, product: str) -> dt.datetime | None:
        # From the store, so a follower replica is ready when the leader syncs.
        for run in self.store.runs(product, limit=20):
            if run.kind == "run" and run.outcome in SUCCESS and run.finished_at is not None:
                return run.finished_at
        return None

    def metrics_response(self) -> HttpResponse:
        """Prometheus exposition."""
        return HttpResponse(
            200, self.metrics.exposition(), "text/plain; version=0.0.4; charset=utf-8"
        )

    def webhook(self, body: bytes, signature: str | None, token: str | None) -> HttpResponse:
        """Authenticate, parse and queue a Jira webhook."""
        secret = self.settings.webhook_secret
        if secret is None:
            self.metrics.webhooks.labels("disabled").inc()
            return HttpResponse(403, b"webhooks disabled: set ROADMAP_SYNC_WEBHOOK_SECRET\n")
        if not verify(secret.get_secret_value(), body, signature, token):
            self.metrics.webhooks.labels("rejected").inc()
            log.warning("webhook_rejected", signed=signature is not None, token=token is not None)
            return HttpResponse(401, b"bad signature\n")
        event = parse_event(body)
        if isinstance(event, VersionEvent):
            return self._queue_version(event)
        covering = [r for r in self.roadmaps if event and event.project in r.tracker.projects]
        if event is None or not covering:
            self.metrics.webhooks.labels("ignored").inc()
            return HttpResponse(202, b"ignored\n")
        if all(event.is_echo(r.owns_label, self._bot_account()) for r in covering):
            self.metrics.webhooks.labels("own_change").inc()
            return HttpResponse(202, b"ignored: only bot labels changed, by the bot\n")
        if not any(self.leadership.lead(f"roadmap:{r.product}") for r in covering):
            # Another replica leads these roadmaps; Jira retries a 503, maybe on the leader.
            self.metrics.webhooks.labels("not_leader").inc()
            return HttpResponse(503, b"not the leader for this roadmap; retry\n")
        if event.deleted:
            return self._forget(event)
        self.metrics.webhooks.labels("accepted").inc()
        log.info("webhook_accepted", issue=event.key, webhook_event=event.event)
        self.debouncer.add(event.key)
        return HttpResponse(202, b"queued\n")

    def _bot_account(self) -> str:
        """Who the bot is on the site, once connected (the first sync connects at start);
        empty before, when every owned-labels-only update counts as the bot's echo."""
        with self._tracker_lock:
            return self._tracker.site.account if self._tracker is not None else ""

    def _forget(self, event: IssueEvent) -> HttpResponse:
        """A deleted issue: nothing to re-trace; a pending re-sync of it is dropped."""
        self.debouncer.discard(event.key)
        self.metrics.webhooks.labels("deleted").inc()
        log.info("issue_forgotten", issue=event.key)
        return HttpResponse(202, b"forgotten\n")

    def _queue_version(self, event: VersionEvent) -> HttpResponse:
        if not any(self.leadership.lead(f"roadmap:{r.product}") for r in self.roadmaps):
            self.metrics.webhooks.labels("not_leader").inc()
            return HttpResponse(503, b"not the leader for these roadmaps; retry\n")
        self.metrics.webhooks.labels("version").inc()
        log.info("webhook_accepted", version=event.name, webhook_event=event.event)
        self.debouncer.add(event)
        return HttpResponse(202, b"queued\n")

    def latest_report(self) -> HttpResponse:
        """The newest HTML report from the store."""
        return self._stored("html")

    def roadmap_view(self) -> HttpResponse:
        """The GO roadmap of the newest report, alone."""
        from roadmap_sync.engine.publish import ROADMAP_VIEW  # noqa: PLC0415 - jinja2 only when used

        return self._stored(ROADMAP_VIEW)

    def _stored(self, fmt: str) -> HttpResponse:
        found = self.store.latest_report(None, fmt)
        if found is None:
            return HttpResponse(404, b"no report yet\n")
        _, content = found
        return HttpResponse(200, content.encode(), "text/html; charset=utf-8")
