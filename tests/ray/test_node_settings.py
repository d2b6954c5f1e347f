"""A node's slots and ccache from its own settings, and how a mismatch is named."""

from __future__ import annotations

from pathlib import Path

from actors.platforms.node_settings import differences, platform_view
from kgym.settings import load_settings


def test_slots_from_settings_or_from_the_machine(tmp_path: Path) -> None:
    s = load_settings({"KGYM_HOME": str(tmp_path), "KGYM_VM_POOL_SIZE": "3"})
    assert s.vm_slots() == 3
    derived = load_settings({"KGYM_HOME": str(tmp_path)})
    assert derived.vm_pool_size is None and derived.vm_slots() >= 1
    assert (
        load_settings({"KGYM_HOME": str(tmp_path), "KGYM_BUILD_SLOTS": "2"}).build_slot_count() == 2
    )
    assert load_settings({"KGYM_HOME": str(tmp_path), "KGYM_JOBS": "1"}).build_slot_count() >= 1


def test_ccache_dir_from_ccache_dir_or_home(tmp_path: Path) -> None:
    assert load_settings({"KGYM_HOME": str(tmp_path)}).ccache_dir == tmp_path / "ccache"
    moved = load_settings({"KGYM_HOME": str(tmp_path), "CCACHE_DIR": "/var/cache/cc"})
    assert moved.ccache_dir == Path("/var/cache/cc")


def test_differences_name_each_field_and_both_values(tmp_path: Path) -> None:
    have = platform_view(load_settings({"KGYM_HOME": "/a", "KGYM_VM_POOL_SIZE": "1"}))
    want = platform_view(load_settings({"KGYM_HOME": "/b", "KGYM_VM_POOL_SIZE": "1"}))
    assert differences(have, want) == ["home=/a (caller: /b)"]
    assert differences(have, have) == []
    llm_only = platform_view(
        load_settings({"KGYM_HOME": "/a", "KGYM_VM_POOL_SIZE": "1", "KGYM_LLM_MODEL": "x"})
    )
    assert differences(have, llm_only) == []  # the LLM's settings do not shape the platform
