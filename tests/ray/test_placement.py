"""The scheduler's placement rule, on made-up node views (no cluster needed)."""

from __future__ import annotations

from actors.platforms.scheduler import Candidate, rank


def order(*candidates: Candidate) -> list[str]:
    return [c.node for c in rank(list(candidates))]


def node(name: str, holds=None, slots=1, busy=0, placed=0) -> Candidate:
    return Candidate(node=name, holds=holds, slots=slots, busy=busy, placed=placed)


def test_warm_tree_first_then_artifact_then_cold() -> None:
    got = order(node("cold"), node("artifact", holds="artifact"), node("warm", holds="tree"))
    assert got == ["warm", "artifact", "cold"]


def test_among_equally_warm_nodes_the_freer_one_wins() -> None:
    got = order(node("a", "tree", slots=2, busy=1), node("b", "tree", slots=2, busy=0))
    assert got == ["b", "a"]


def test_an_idle_cold_node_before_a_full_warm_one() -> None:
    assert order(node("warm", "tree", slots=1, busy=1), node("cold"))[0] == "cold"


def test_all_full_locality_decides_then_the_least_overloaded() -> None:
    got = order(node("a", "tree", busy=3), node("b", "tree", busy=2), node("c", busy=1))
    assert got == ["b", "a", "c"]


def test_ties_spread_by_how_many_units_each_node_got() -> None:
    got = order(node("a", "tree", placed=3), node("b", "tree", placed=1))
    assert got == ["b", "a"]


def test_with_equal_vm_slots_a_free_build_slot_wins() -> None:
    busy_builder = Candidate("a", "tree", slots=2, busy=0, placed=0, build_free=0)
    idle_builder = Candidate("b", "tree", slots=2, busy=0, placed=5, build_free=1)
    assert order(busy_builder, idle_builder) == ["b", "a"]
