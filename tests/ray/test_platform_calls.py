"""Every Platform call exists, with its contract's parameters, on both platforms and on
each Ray face (RayPlatform, the per-unit _Pinned view, Node, the build cache actor): the
tree calls of those faces come from one table, actors.platforms.node.TREE_CALLS."""

from __future__ import annotations

import inspect

import pytest

from actors.platforms.build_cache_actor import BuildCacheActor
from actors.platforms.local_platform import LocalPlatform
from actors.platforms.node import TREE_CALLS, Node
from actors.platforms.ray_platform import RayPlatform, _Pinned
from kgym.platform import Platform

CALLS = [n for n, f in vars(Platform).items() if inspect.iscoroutinefunction(f)]
WRITTEN_OUT = {"build", "checkout", "run", "parse"}  # each face places these its own way


def test_the_table_and_the_written_out_calls_are_the_protocol() -> None:
    assert set(TREE_CALLS) | WRITTEN_OUT == set(CALLS)
    assert not set(TREE_CALLS) & WRITTEN_OUT


@pytest.mark.parametrize("face", [LocalPlatform, RayPlatform, _Pinned, Node])
def test_every_face_has_every_call(face: type) -> None:
    for name in CALLS:
        method = getattr(face, name, None)
        assert inspect.iscoroutinefunction(method), f"{face.__name__}.{name}"
        if name in TREE_CALLS and face is not LocalPlatform:
            assert method.__doc__ == getattr(Platform, name).__doc__
        else:  # written out: the protocol's own parameters
            want = list(inspect.signature(getattr(Platform, name)).parameters)
            assert list(inspect.signature(method).parameters) == want, f"{face.__name__}.{name}"


def test_the_build_cache_actor_answers_every_tree_call() -> None:
    def params(f) -> list[str]:  # Ray's tracing adds a last `_ray_trace_ctx` to methods
        return [p for p in inspect.signature(f).parameters if p not in ("self", "_ray_trace_ctx")]

    for name in TREE_CALLS:
        want = params(getattr(Platform, name))
        assert params(getattr(BuildCacheActor, name)) == [*want, "context"], name
