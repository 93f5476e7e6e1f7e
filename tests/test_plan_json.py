"""``plan --format json`` streamed in chunks is the same document as built whole."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from roadmap_sync.commands.plan_output import plan_document, write_plan_json
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import make_plan
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, site_data

POLICY = RetryPolicy(attempts=2, max_wait=5, backoff_initial=0.01, backoff_max=0.05)


def test_streamed_plan_equals_the_whole_document() -> None:
    """One roadmap: the document itself, a line per thousand items; several: a list of them."""
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    with SandboxServer(site_data(2_500, seed=4), flavor="datacenter") as server:
        tracker = registry.connect(ConnectOptions(server.url, None, server.token, POLICY))
        roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
        plan = make_plan(roadmap, tracker, today=now.date(), now=now)
    one, two = io.StringIO(), io.StringIO()
    write_plan_json([plan], one)
    write_plan_json([plan, plan], two)
    whole = json.loads(json.dumps(plan_document(plan)))  # tuples and lists alike as arrays
    assert json.loads(one.getvalue()) == whole
    assert json.loads(two.getvalue()) == [whole] * 2
    assert len(plan.items) > 1_000  # more than one write's worth of items
    assert one.getvalue().count("\n") == -(-len(plan.items) // 1_000) + 2


@pytest.mark.parametrize(
    ("encoding", "product"), [("utf-8", '"Acme Shöp ✓"'), ("ascii", r'"Acme Sh\u00f6p \u2713"')]
)
def test_plan_json_is_the_same_document_on_any_output_encoding(
    encoding: str, product: str, tmp_path: Path
) -> None:
    """orjson writes UTF-8 as is; an output that cannot take it gets ASCII escapes."""
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    example = (REPO / "config" / "roadmap.example.yaml").read_text(encoding="utf-8")
    roadmap_file = tmp_path / "roadmap.yaml"
    roadmap_file.write_text(example.replace("Acme Web Shop", "Acme Shöp ✓"), encoding="utf-8")
    with SandboxServer(site_data(300, seed=5), flavor="cloud") as server:
        tracker = registry.connect(
            ConnectOptions(server.url, "bot@example.com", server.token, POLICY)
        )
        plan = make_plan(load_roadmap(roadmap_file), tracker, today=now.date(), now=now)
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding=encoding)
    write_plan_json([plan], out)
    out.flush()
    written = raw.getvalue().decode(encoding)
    assert f'"product":{product}' in written
    assert json.loads(written) == json.loads(json.dumps(plan_document(plan)))
