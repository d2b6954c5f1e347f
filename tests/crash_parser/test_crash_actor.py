"""The Ray face: a real actor on the session's local cluster."""

from __future__ import annotations

import pytest
from test_crash_logs import LEAK_61, WARN_61

pytestmark = pytest.mark.ray


def test_actor_parses_text_and_files(ray_cluster, tmp_path):
    from actors.platforms.crash_parser_actor import CrashParserActor

    actor = CrashParserActor.remote()
    report, _ = ray_cluster.get(actor.parse.remote(WARN_61))
    assert report.title == "WARNING in qdisc_create"
    path = tmp_path / "console.log"
    path.write_bytes(LEAK_61.encode())
    report, _ = ray_cluster.get(actor.parse_file.remote(str(path)))
    assert report.title == "memory leak in watch_queue_set_size"
    with pytest.raises(ValueError, match="cannot read console log"):
        ray_cluster.get(actor.parse_file.remote(str(tmp_path / "missing")))
    ray_cluster.kill(actor)
