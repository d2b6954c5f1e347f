"""The Ray face of BuildCache: same results through an actor handle."""

from __future__ import annotations

import pytest
import ray
from fakekernel import make_source, request, run_kernel, value_patch

from actors.platforms.build_cache_actor import BuildCacheActor
from kgym.settings import Settings

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_session():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=1, include_dashboard=False)
    yield
    if started:
        ray.shutdown()


async def test_actor_builds_and_checks(ray_session, tmp_path):
    kernel = make_source(tmp_path / "kernel")
    actor = BuildCacheActor.remote(Settings(home=tmp_path / "home", jobs=1))
    result, records = await actor.build.remote(request(kernel, value_patch(3)), {"run_id": "r1"})
    assert result.ok and run_kernel(result) == "value=3\n"
    # The call's events come back for the caller's run stream, with the caller's run id.
    stages = [r["stage"] for r in records if r["event"] == "build.stage"]
    assert {"source", "patch", "config", "store"} <= set(stages), stages
    assert {r["run_id"] for r in records} == {"r1"}
    check, _ = await actor.compile_check.remote(request(kernel), ["nope.c"])
    assert not check.ok and check.diagnostics[0].file == "nope.c"
    tree, none = await actor.checkout.remote(request(kernel))
    assert tree == str(kernel) and none == []  # no run id bound: nothing captured
    assert isinstance(await actor.node_id.remote(), str)
