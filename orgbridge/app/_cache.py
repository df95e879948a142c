"""The app's in-memory analysis cache: one slot per result, computed once, shared by threads.

A page callback and the background precompute (see :meth:`Services.start_precompute`) may ask
for the same result at the same time; the first one computes it and the others wait on its
slot instead of computing it again. Results that take seconds on a large organisation (Leiden,
betweenness, constraint, effective size) can be computed in a separate process, because igraph
holds the GIL while it runs and would otherwise freeze every other request of the app.

Threads and processes: the cache computes each key once however many threads ask (the others
wait on its slot; a thread that asks again for the key it is computing gets an error instead
of waiting for itself forever). Both classes are fork-safe: in a child forked while another
thread held one of their locks or was computing a slot (a Dash background job forks the app),
the locks are new, unfinished slots are forgotten (their owner thread does not exist in the
child, so the child computes them itself) and finished ones are kept; the child never uses
the parent's worker process (it starts its own when it needs one). The worker is started with
"spawn", so it inherits nothing from the app (no lock another thread held, no connection);
that costs one start of a fresh interpreter with orgbridge's imports, measured at 6.3 s on
the 2-core development machine for the first offloaded metric (36 ms for later ones), paid
only by organisations of ``above`` people or more; "forkserver" was no faster (8.1 s) for
one long-lived worker.

Example
-------
>>> cache = AnalysisCache()
>>> cache.get(("answer",), lambda: 42), cache.get(("answer",), lambda: 0)
(42, 42)
>>> cache.ready(("answer",)), cache.ready(("other",))
(True, False)
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pandas as pd

from orgbridge.graph import OrgGraph

__all__ = ["AnalysisCache", "ForkSafeLock", "Offloader", "run_metric"]


class ForkSafeLock:
    """A lock (reentrant when asked) that a forked child gets back unlocked.

    A child forked while another thread holds a plain lock inherits it held, by a thread that
    does not exist there, and waits for it forever. This one is replaced by a new lock in the
    child, right after the fork (when only the forking thread runs).

    Example
    -------
    >>> lock = ForkSafeLock(reentrant=True)
    >>> with lock, lock:
    ...     "held twice by one thread"
    'held twice by one thread'
    """

    def __init__(self, *, reentrant: bool = False) -> None:
        self._reentrant = reentrant
        self._lock = self._new()
        _FORK_SAFE.add(self)

    def _new(self) -> Any:
        return threading.RLock() if self._reentrant else threading.Lock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock (as ``threading.Lock.acquire``)."""
        return bool(self._lock.acquire(blocking, timeout))

    def release(self) -> None:
        """Give the lock back."""
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _after_fork_in_child(self) -> None:
        self._lock = self._new()


class _Slot:
    """One cached result: set once, waited on by everyone else."""

    __slots__ = ("done", "error", "owner", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.owner = threading.get_ident()


class AnalysisCache:
    """Results keyed by a tuple; each computed by the first caller, awaited by the others.

    A failed computation is not kept (the next caller tries again). :meth:`clear` starts a new
    generation: computations still running for the old one finish into slots nobody reads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[Hashable, ...], _Slot] = {}
        self.generation = 0
        _FORK_SAFE.add(self)

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], Any]) -> Any:
        """The value of ``key``, computing it with ``compute`` unless someone already has.

        Raises
        ------
        RuntimeError
            ``compute`` asked for its own key (it would wait for itself forever).
        """
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if slot is None:
                slot = self._slots[key] = _Slot()
            elif not slot.done.is_set() and slot.owner == threading.get_ident():
                raise RuntimeError(f"the computation of {key!r} asked for its own result")
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

    def _after_fork_in_child(self) -> None:
        # Only the forking thread exists here: its locks may be copies held by others.
        self._lock = threading.Lock()
        kept = {}
        for key, slot in self._slots.items():
            if slot.done.is_set() and slot.error is None:
                fresh = _Slot()
                fresh.value, fresh.owner = slot.value, slot.owner
                fresh.done.set()
                kept[key] = fresh
        self._slots = kept


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

    A worker is started ("spawn": it inherits nothing) on first use and kept for later
    imports; one that died (killed for memory, say) is replaced on the next call. Calls from
    many threads share the one worker, each waiting for its own result.
    """

    def __init__(self, above: int = 20_000) -> None:
        self.above = above
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pid = os.getpid()
        _FORK_SAFE.add(self)

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
        try:
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
        except BrokenProcessPool:
            with self._lock:  # the worker died: the next call starts a new one
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        if self._pid != os.getpid():  # a forked copy: the worker belongs to the parent
            self._forget_parent_pool()
            return
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _forget_parent_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            _INHERITED.append(pool)  # never shut down from here: its worker is the parent's

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._forget_parent_pool()
        self._pid = os.getpid()


#: Locks, caches and offloaders to make safe in a forked child.
_FORK_SAFE: weakref.WeakSet[ForkSafeLock | AnalysisCache | Offloader] = weakref.WeakSet()
#: A forked child's copies of its parent's worker pools, kept (never used, never shut down).
_INHERITED: list[ProcessPoolExecutor] = []


def _after_fork_in_child() -> None:
    for item in list(_FORK_SAFE):
        item._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
