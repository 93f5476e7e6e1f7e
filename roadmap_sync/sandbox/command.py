"""``roadmap-sync sandbox serve``: run a sandbox Jira site until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import gc
import math
import sys
from pathlib import Path
from typing import Any

from roadmap_sync.runtime.http import wait_for_signal
from roadmap_sync.sandbox.catalog import FLAVORS
from roadmap_sync.sandbox.ratelimits import PROFILES
from roadmap_sync.sandbox.server import DEFAULT_EMAIL, DEFAULT_TOKEN, SandboxServer
from roadmap_sync.sandbox.store import SiteData


def _bounded(kind: type[int] | type[float], low: float, high: float | None = None) -> Any:
    """An argparse type: a number within [low, high]; anything else is a usage error (exit 2)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (low <= value <= (math.inf if high is None else high)):
            within = f"at least {low:g}" if high is None else f"from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: {within}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sandbox serve``."""
    parser.add_argument("--flavor", choices=FLAVORS, default="cloud")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: loopback)")
    parser.add_argument(
        "--port", type=_bounded(int, 0, 65535), default=0, help="0 picks a free port"
    )
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help='JSON {"projects": [...], "issues": [...]} in Jira REST shape; repeatable',
    )
    parser.add_argument("--generate", type=_bounded(int, 1), metavar="N", help="generate N issues")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--email", default=DEFAULT_EMAIL, help="Cloud login e-mail")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="API token / personal access token")
    parser.add_argument(
        "--search-lag",
        type=_bounded(float, 0, 3600),
        metavar="SECONDS",
        help="how far search lags behind writes (default: 2 on cloud, 0 on datacenter)",
    )
    parser.add_argument(
        "--result-window",
        type=_bounded(int, 1),
        metavar="N",
        help="datacenter: refuse startAt+maxResults past N, like OpenSearch (default: none)",
    )
    parser.add_argument(
        "--rate-limit",
        choices=sorted(PROFILES),
        help="enforce a rate-limit profile with its headers and 429s (default: off)",
    )
    parser.add_argument(
        "--epic-link-field",
        metavar="customfield_NNNNN",
        help="the Epic Link field's id (default: found in --data, else customfield_10101)",
    )


def load_site(data_files: list[Path], generate: int | None, seed: int) -> SiteData:
    """The site's content: data files, then generated issues."""
    site = SiteData.from_files(data_files)
    if generate:
        from roadmap_sync.sandbox.generate import generate_backlog  # noqa: PLC0415 - heavy, optional

        generated = SiteData.from_json(generate_backlog(generate, seed), f"--generate {generate}")
        site.projects.extend(generated.projects)
        site.issues.extend(generated.issues)
    return site


def serve(args: argparse.Namespace) -> int:
    """Serve until a signal arrives; print the one ready line once connections are accepted."""
    try:
        site = load_site(args.data, args.generate, args.seed)
    except (OSError, ValueError) as error:
        print(f"roadmap-sync sandbox: {error}", file=sys.stderr)
        return 2
    try:
        server = SandboxServer(
            site,
            flavor=args.flavor,
            host=args.host,
            port=args.port,
            email=args.email,
            token=args.token,
            search_lag=args.search_lag,
            result_window=args.result_window,
            rate_limit=args.rate_limit,
            epic_link_field=args.epic_link_field,
        )
    except ValueError as error:
        print(f"roadmap-sync sandbox: {error}", file=sys.stderr)
        return 2
    # The loaded backlog lives as long as the process: keep the collector from rescanning it.
    gc.freeze()
    server.start()
    print(f"sandbox listening on {server.url}", flush=True)
    wait_for_signal()
    server.shutdown()
    return 0
