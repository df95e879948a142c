"""The app's in-memory analysis cache: one slot per result, computed once, shared by threads.

A page callback and the background precompute (see :meth:`Services.start_precompute`) may ask
for the same result at the same time; the first one computes it and the others wait on its
slot instead of computing it again. Results that take seconds on a large organisation (Leiden,
betweenness, constraint, effective size) can be computed in a separate process, because igraph
holds the GIL while it runs and would otherwise freeze every other request of the app.

Example
-------
>>> cache = AnalysisCache()
>>> cache.get(("answer",), lambda: 42), cache.get(("answer",), lambda: 0)
(42, 42)
>>> cache.ready(("answer",)), cache.ready(("other",))
(True, False)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd

from orgbridge.graph import OrgGraph

__all__ = ["AnalysisCache", "Offloader", "run_metric"]


class _Slot:
    """One cached result: set once, waited on by everyone else."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class AnalysisCache:
    """Results keyed by a tuple; each computed by the first caller, awaited by the others.

    A failed computation is not kept (the next caller tries again). :meth:`clear` starts a new
    generation: computations still running for the old one finish into slots nobody reads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[Hashable, ...], _Slot] = {}
        self.generation = 0

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], Any]) -> Any:
        """The value of ``key``, computing it with ``compute`` unless someone already has."""
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if slot is None:
                slot = self._slots[key] = _Slot()
        if owner:
            try:
                slot.value = compute()
            except BaseException as error:
                slot.error = error
                with self._lock:
                    if self._slots.get(key) is slot:
                        del self._slots[key]
            finally:
                slot.done.set()
        else:
            slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.value

    def ready(self, key: tuple[Hashable, ...]) -> bool:
        """Whether ``key`` has been computed (without waiting or computing)."""
        with self._lock:
            slot = self._slots.get(key)
        return slot is not None and slot.done.is_set() and slot.error is None

    def clear(self) -> None:
        """Forget every result (after the organisation changed)."""
        with self._lock:
            self._slots.clear()
            self.generation += 1


def run_metric(
    name: str,
    people: pd.DataFrame,
    ties: pd.DataFrame,
    special: list[str],
    metadata: dict[str, Any],
    kwargs: dict[str, Any],
) -> Any:
    """Rebuild the organisation and run ``orgbridge.metrics.<name>`` on it (in a worker)."""
    import orgbridge.metrics as metrics

    graph = OrgGraph(people, ties, special=special, metadata=metadata)
    return getattr(metrics, name)(graph, **kwargs)


class Offloader:
    """Runs slow metrics in one spawned worker process on organisations of ``above`` people
    or more, in-process below that (where they take milliseconds).

    A worker is started on first use and kept for later imports.
    """

    def __init__(self, above: int = 20_000) -> None:
        self.above = above
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def run(self, name: str, graph: OrgGraph, **kwargs: Any) -> Any:
        """``orgbridge.metrics.<name>(graph, **kwargs)``, in the worker for a large graph."""
        if graph.n_people < self.above:
            import orgbridge.metrics as metrics

            return getattr(metrics, name)(graph, **kwargs)
        with self._lock:
            if self._pool is None:
                import multiprocessing

                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            pool = self._pool
        future = pool.submit(
            run_metric,
            name,
            graph.people,
            graph.explicit_ties(),
            sorted(graph.special),
            dict(graph.metadata),
            kwargs,
        )
        return future.result()

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
