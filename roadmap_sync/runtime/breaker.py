"""A run's write budget: a circuit breaker on consecutive failed writes, and a deadline.

Retries bound one request; this bounds a run. Against a Jira that is down, each write spends
its retries (about 20 s with the defaults) and fails; without a breaker a run of 20,000 writes
would take hours and audit nothing useful. After ``failure_limit`` failed writes in a row, or
once the run has spent ``deadline`` seconds writing, no further write is sent: the remaining
changes are reported "not sent", the run ends partial or failed (exit 1), and the next run,
which re-reads the backlog, converges. A worker that loses the leadership of a roadmap mid-run
stops the same way (``halt``), so two replicas never write at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["WriteBreaker", "WriteLimits"]


@dataclass(frozen=True)
class WriteLimits:
    """Settings ``ROADMAP_SYNC_WRITE_FAILURE_LIMIT`` and ``ROADMAP_SYNC_WRITE_DEADLINE``."""

    failure_limit: int = 5
    deadline: float = 1800.0


class WriteBreaker:
    """One run's breaker; thread-safe (Data Center writes run in parallel)."""

    def __init__(
        self,
        limits: WriteLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        halt: Callable[[], str | None] | None = None,
    ) -> None:
        """``halt``, asked at most once a second, gives a reason to stop (a lost leadership)."""
        self.limits = limits or WriteLimits()
        self._clock = clock
        self._started = clock()
        self._consecutive = 0
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._halt = halt
        self._halt_checked = clock()

    @property
    def reason(self) -> str | None:
        """Why writes stopped, or None while they may go on."""
        with self._lock:
            return self._check()

    def _check(self) -> str | None:
        now = self._clock()
        if self._reason is None and now - self._started > self.limits.deadline:
            self._reason = (
                f"the run has written for more than {self.limits.deadline:g}s "
                "(ROADMAP_SYNC_WRITE_DEADLINE)"
            )
        if self._reason is None and self._halt is not None and now - self._halt_checked >= 1.0:
            self._halt_checked = now
            self._reason = self._halt()
        return self._reason

    def time_left(self) -> float:
        """Seconds until the run's write deadline (negative once it has passed)."""
        return self.limits.deadline - (self._clock() - self._started)

    def allow(self) -> bool:
        """Whether the next write may be sent."""
        with self._lock:
            return self._check() is None

    def record(self, ok: bool) -> None:
        """Count one write's result; enough failures in a row open the breaker."""
        with self._lock:
            if ok:
                self._consecutive = 0
                return
            self._consecutive += 1
            if self._reason is None and self._consecutive >= self.limits.failure_limit:
                self._reason = (
                    f"{self._consecutive} writes failed in a row "
                    "(ROADMAP_SYNC_WRITE_FAILURE_LIMIT): the tracker looks down"
                )
