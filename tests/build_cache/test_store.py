"""The artifact store: atomic entries, LRU eviction under a size cap; single-flight dedup."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from actors.build_cache.store import ArtifactStore, SingleFlight


def _files(tmp_path: Path, size: int) -> dict[str, Path]:
    out = {}
    for name in ("bzimage", "vmlinux", "config", "build_log"):
        p = tmp_path / f"in-{name}"
        p.write_bytes(b"x" * size)
        out[name] = p
    return out


def test_put_get(tmp_path):
    store = ArtifactStore(tmp_path / "store", max_bytes=10**6)
    assert store.get("k1") is None
    art = store.put("k1", _files(tmp_path, 10), source_dir="/src")
    assert store.get("k1") == art
    assert Path(art.vmlinux).read_bytes() == b"x" * 10
    assert art.source_dir == "/src"


def test_entry_written_through_a_link_is_read_where_it_is(tmp_path):
    """A store filled through a linked home (a test's KGYM_HOME) serves paths that exist
    after the link is gone."""
    real = tmp_path / "real-store"
    real.mkdir()
    linked_home = tmp_path / "home"
    linked_home.mkdir()
    (linked_home / "store").symlink_to(real)
    ArtifactStore(linked_home / "store", max_bytes=10**6).put("k1", _files(tmp_path, 10))
    (linked_home / "store").unlink()

    art = ArtifactStore(real, max_bytes=10**6).get("k1")
    assert art is not None and art.dir == str(real / "k1")
    assert Path(art.bzimage).read_bytes() == b"x" * 10


def test_lru_eviction_keeps_recently_used(tmp_path):
    store = ArtifactStore(tmp_path / "store", max_bytes=3 * 4 * 1000 + 2000)  # room for 3 entries
    for i, key in enumerate(["a", "b", "c"]):
        store.put(key, _files(tmp_path, 1000))
        os.utime(store.root / key, (1000 + i, 1000 + i))  # a oldest
    store.get("a")  # a is now the most recently used
    store.put("d", _files(tmp_path, 1000))
    assert {e.name for _, _, e in store.entries()} == {"a", "c", "d"}


def test_new_entry_is_never_evicted(tmp_path):
    store = ArtifactStore(tmp_path / "store", max_bytes=10)
    store.put("big", _files(tmp_path, 1000))
    assert store.get("big") is not None


async def test_single_flight_runs_once():
    flight = SingleFlight()
    runs = []

    async def work():
        runs.append(1)
        await asyncio.sleep(0.05)
        return len(runs)

    results = await asyncio.gather(*(flight.do("k", work) for _ in range(5)))
    assert results == [1] * 5 and len(runs) == 1
    assert await flight.do("k", work) == 2  # finished work is not remembered


async def test_single_flight_shares_errors():
    flight = SingleFlight()

    async def boom():
        await asyncio.sleep(0.01)
        raise RuntimeError("x")

    results = await asyncio.gather(
        flight.do("k", boom), flight.do("k", boom), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
