"""Placing units of work on kgym nodes, and moving them when a node dies.

A unit of work is a build plus the runs that boot it (kgym.judge's reproduce and
verify); `kgym bench run`, `kgym fix`'s hypotheses and `kgym verify --ray` all
come through here. For each unit the scheduler asks every live kgym node for its
load and what it holds of the unit's build, and picks, in order:

1. a node with a free slot (VM slots not all taken by running units) before one
   without: an idle node is not left idle behind a queue on a busy one;
2. locality: a node holding the warm tree of the build's (source, config), then
   one holding the built kernel itself, then any;
3. capacity: the most free VM slots, then free build slots, then the fewest units
   placed by this scheduler.

A unit whose node (or its actors) dies is started again on another node, at most
`settings.unit_retries` times; the result says how often and why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import ray

from actors.platforms.node import NODE_LOST, RESOURCE, Node
from kgym.log import get_logger
from kgym.models import BuildRequest, Placement
from kgym.platform import PlatformUnavailable, note_move
from kgym.settings import Settings

T = TypeVar("T")
STATUS_TIMEOUT_S = 30.0
LOCALITY_RANK = {"tree": 2, "artifact": 1, None: 0}

log = get_logger("scheduler")


class NoNodes(PlatformUnavailable):
    """No live Ray node offers the kgym resource."""


class UnitFailed(RuntimeError):
    """A unit of work whose every node died (its retries are spent)."""

    def __init__(self, message: str, placement: Placement) -> None:
        super().__init__(message)
        self.placement = placement


@dataclass
class Candidate:
    """One node as the scheduler sees it for one unit."""

    node: str
    holds: str | None  # "tree", "artifact" or None
    slots: int  # VM slots
    busy: int  # units running there (ours, or as the node counts them)
    placed: int  # units this scheduler has sent there so far
    build_free: int = 1  # build slots not taken

    @property
    def free(self) -> int:
        return self.slots - self.busy


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Best first: a free VM slot, then locality, then free VM slots, then free build
    slots, then fewest placed."""
    return sorted(
        candidates,
        key=lambda c: (
            c.free > 0,
            LOCALITY_RANK.get(c.holds, 0),
            c.free,
            c.build_free,
            -c.placed,
            c.node,
        ),
        reverse=True,
    )


class Scheduler:
    """The kgym nodes of the current Ray cluster, and the units running on them."""

    def __init__(self, settings: Settings | None = None, node_settings: Settings | None = None):
        """`settings`: the caller's (retries); `node_settings`: forced on every node (tests)."""
        from kgym.settings import settings as default_settings

        self.settings = settings or default_settings()
        self.node_settings = node_settings
        self.nodes: dict[str, Node] = {}
        self.dead: set[str] = set()
        self.running: dict[str, int] = {}
        self.placed: dict[str, int] = {}
        self._lock = asyncio.Lock()

    # --- nodes ---------------------------------------------------------------------

    def refresh(self) -> dict[str, Node]:
        """Connect to every live kgym node not known yet; forget the dead ones."""
        alive = {
            n["NodeID"]: n
            for n in ray.nodes()
            if n.get("Alive") and n.get("Resources", {}).get(RESOURCE, 0) > 0
        }
        for node_id in list(self.nodes):
            if node_id not in alive:
                self._forget(node_id)
        for node_id, info in alive.items():
            if node_id not in self.nodes and node_id not in self.dead:
                try:
                    self.nodes[node_id] = Node.connect(info, self.node_settings)
                except (*NODE_LOST, ray.exceptions.GetTimeoutError) as e:
                    log.warning("scheduler.node_unreachable", ray_node=node_id, error=repr(e))
        if not self.nodes:
            raise NoNodes(
                f"no live Ray node offers the {RESOURCE!r} resource: start nodes with "
                f"ray start ... --resources='{{\"{RESOURCE}\": 1}}' (see README, "
                "'From one machine to many')"
            )
        return self.nodes

    def _forget(self, node_id: str) -> None:
        self.nodes.pop(node_id, None)
        self.dead.add(node_id)

    def local(self) -> Node | None:
        """This process's own node, if it is a kgym node (its paths are readable here)."""
        here = ray.get_runtime_context().get_node_id()
        return self.refresh().get(here)

    # --- placement -----------------------------------------------------------------

    async def choose(self, request: BuildRequest | None) -> Node:
        """The best live node for a unit that builds `request` (see the module doc)."""
        async with self._lock:
            nodes = await asyncio.to_thread(self.refresh)
            statuses = await asyncio.gather(
                *(self._status(n, request) for n in nodes.values()), return_exceptions=True
            )
            candidates = []
            for node, status in zip(list(nodes.values()), statuses, strict=True):
                if isinstance(status, NODE_LOST):
                    self._forget(node.id)
                    continue
                if isinstance(status, BaseException):
                    log.warning("scheduler.status_failed", node=node.id, error=repr(status))
                    continue
                mine = self.running.get(node.id, 0)
                candidates.append(
                    Candidate(
                        node=node.id,
                        holds=status["holds"],
                        slots=max(1, status["vm_slots"]),
                        busy=max(mine, status["runs"]),
                        placed=self.placed.get(node.id, 0),
                        build_free=status["build_slots"] - status["builds"],
                    )
                )
            if not candidates:
                raise NoNodes("no kgym node answered (all dead or unreachable)")
            best = rank(candidates)[0]
            self.running[best.node] = self.running.get(best.node, 0) + 1
            self.placed[best.node] = self.placed.get(best.node, 0) + 1
            return self.nodes[best.node]

    async def _status(self, node: Node, request: BuildRequest | None) -> dict:
        return await asyncio.wait_for(node.status(request), STATUS_TIMEOUT_S)

    def release(self, node: Node) -> None:
        self.running[node.id] = max(0, self.running.get(node.id, 0) - 1)

    async def unit(
        self,
        request: BuildRequest | None,
        work: Callable[[Node], Awaitable[T]],
        run_id: str = "",
        kind: str = "unit",
    ) -> tuple[T, Placement]:
        """Run `work` on the node chosen for `request`; on a node's death, on another."""
        # no run id given: the caller's run context names the run (binding "" would hide it)
        ulog = get_logger("scheduler", unit=kind, **({"run_id": run_id} if run_id else {}))
        placement = Placement()
        for attempt in range(self.settings.unit_retries + 1):
            t0 = time.monotonic()
            node = await self.choose(request)
            chose_s = time.monotonic() - t0
            placement.placement_s = round(placement.placement_s + chose_s, 4)
            ulog.info("unit.placed", ray_node=node.id, attempt=attempt, duration_s=chose_s)
            try:
                result = await work(node)
            except NODE_LOST as e:
                reason = f"node {node.short()}: {type(e).__name__}: {_first_line(e)}"
                placement.retries = attempt + 1
                placement.retry_reasons.append(reason)
                note_move(reason)
                ulog.warning("unit.node_lost", ray_node=node.id, reason=reason)
                self._forget(node.id)
                continue
            finally:
                self.release(node)
            placement.node = node.id
            placement.retries = attempt
            return result, placement
        raise UnitFailed(
            f"{kind} failed on {len(placement.retry_reasons)} nodes: "
            + "; ".join(placement.retry_reasons),
            placement,
        )


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else ""
