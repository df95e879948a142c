"""Impact of a cycle: did participants' networks change more than comparable colleagues'?

Design (coarsened exact matching, then difference in differences):

1. **Outcomes** per person, on the snapshot at the cycle's start and at its end, over the
   chosen layers (default ``collaboration``: the programme's own mentoring ties would count as
   gains by construction): *cross-department ties* (distinct neighbours in another
   department), *hops to the nearest leader* (capped at ``hop_cap``; unreachable counts as the
   cap) and *coverage within 2 hops* (1 when a leader is within two hops, else 0). Leaders are
   left out (they are at distance 0), as are people absent from either snapshot or without a
   department.
2. **Strata**: same department, same level band (``floor(level / level_band)``; a label or
   missing level is its own band) and the same starting exposure class (hops to a leader 1, 2,
   3 or more / unreachable). Participants in a stratum with fewer than two comparable
   non-participants are left out and counted (``n_unmatched``). Non-participants exclude
   people who were in another started match during the cycle.
3. **Estimate** per outcome: the average over matched participants of (their change minus
   the mean change of non-participants in their stratum), i.e. the effect on the
   participants, with each stratum weighted by its number of participants.
4. **Interval**: a seeded percentile bootstrap that redraws the matched participants as
   units (each compared with its stratum) and each stratum's non-participants within it.
   With fewer than ``min_matched`` matched participants no interval is given and the note
   says why; under the privacy threshold no figure at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import COLLABORATION, OrgGraph
from orgbridge.metrics import Result, check_min_group, leader_distance, leader_reach
from orgbridge.programme._health import active_windows
from orgbridge.programme._model import ProgrammeState, timestamp

__all__ = ["OUTCOMES", "compare_snapshots", "impact", "outcomes"]

#: A stratum needs this many non-participants to stand in for its participants.
_MIN_CONTROLS = 2
#: The outcomes, each with the direction that means more access.
OUTCOMES: tuple[str, ...] = ("cross_department_ties", "hops_to_leader", "leader_within_2_hops")


def outcomes(
    graph: OrgGraph,
    *,
    layers: Sequence[str] | str | None = (COLLABORATION,),
    leaders: Iterable[str] | None = None,
    hop_cap: int = 6,
) -> pd.DataFrame:
    """The three outcomes per person on one snapshot.

    Returns
    -------
    pandas.DataFrame
        ``person_id, department, level, is_leader, cross_department_ties, hops_to_leader,
        leader_within_2_hops``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["l", "a", "b", "c"], "is_leader": [1, 0, 0, 0],
    ...                        "department": ["X", "X", "Y", "Y"]})
    >>> ties = pd.DataFrame({"source": ["l", "a", "b"], "target": ["a", "b", "c"],
    ...                      "layer": "collaboration"})
    >>> o = outcomes(OrgGraph.from_frames(people, ties))
    >>> o[["cross_department_ties", "hops_to_leader", "leader_within_2_hops"]].values.tolist()
    [[0, 0, 0], [1, 1, 1], [1, 2, 1], [0, 3, 0]]
    """
    if hop_cap < 2:
        raise ParameterError(f"hop_cap must be at least 2, got {hop_cap}")
    people = graph.people
    department = (
        people["department"].astype("string")
        if "department" in people.columns
        else pd.Series(pd.NA, index=people.index, dtype="string")
    )
    codes = pd.factorize(department, use_na_sentinel=True)[0]
    adjacency = graph.adjacency(list(layers) if isinstance(layers, tuple) else layers).tocoo()
    rows, cols = adjacency.row, adjacency.col
    other = (codes[rows] != codes[cols]) & (codes[rows] >= 0) & (codes[cols] >= 0)
    cross = np.bincount(rows[other], minlength=graph.n_people)
    chosen = list(layers) if isinstance(layers, tuple) else layers
    hops = leader_distance(graph, layers=chosen, leaders=leaders).table["hops_to_leader"]
    capped = hops.astype("Float64").fillna(hop_cap).clip(upper=hop_cap).to_numpy(dtype=np.int64)
    reach = leader_reach(graph, layers=chosen, leaders=leaders, k=2).table
    level = people["level"] if "level" in people.columns else pd.Series(pd.NA, index=people.index)
    return pd.DataFrame(
        {
            "person_id": graph.ids.to_numpy(),
            "department": department.to_numpy(),
            "level": level.to_numpy(),
            "is_leader": (hops.fillna(-1) == 0).to_numpy(),
            "cross_department_ties": cross.astype(np.int64),
            "hops_to_leader": capped,
            "leader_within_2_hops": (reach["leaders_within_2_hops"] > 0)
            .astype(np.int64)
            .to_numpy(),
        }
    )


def impact(
    graph: OrgGraph,
    state: ProgrammeState,
    cycle_id: str,
    *,
    as_of: str | pd.Timestamp | None = None,
    layers: Sequence[str] | str | None = (COLLABORATION,),
    level_band: int = 2,
    hop_cap: int = 6,
    min_matched: int = 20,
    min_group: int = 5,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Result:
    """The effect of one cycle on its participants' networks (see the module docstring).

    Participants are the people in the cycle's matches that became active; the snapshots are
    ``graph.snapshot(start)`` and ``graph.snapshot(end)`` of the cycle.

    Parameters
    ----------
    graph
        The organisation with dated ties (its full history).
    state
        The programme state.
    cycle_id
        The cycle to evaluate.
    as_of
        For a running cycle: compare the start with this day instead of the cycle's end.
    layers, level_band, hop_cap, min_matched, min_group, n_boot, confidence, seed
        As for :func:`compare_snapshots`.

    Returns
    -------
    Result
        See :func:`compare_snapshots`; its parameters also name the cycle and its dates.

    Raises
    ------
    ParameterError
        Unknown cycle, or a parameter out of range.
    """
    cycle = state.cycle(cycle_id)
    start, end = timestamp(cycle["start"]), timestamp(cycle["end"])
    if as_of is not None:
        end = min(end, timestamp(as_of, "as_of"))
        if not end > start:
            raise ParameterError(f"as_of {end.date()} is not after the cycle's start")
    windows = active_windows(state, end)
    overlapping = windows.loc[(windows["active_from"] <= end) & (windows["active_until"] >= start)]
    mine = overlapping.loc[overlapping["cycle_id"] == cycle_id]
    participants = set(mine["a"].astype(str)) | set(mine["b"].astype(str))
    busy = set(overlapping["a"].astype(str)) | set(overlapping["b"].astype(str))
    result = compare_snapshots(
        graph.snapshot(start),
        graph.snapshot(end),
        sorted(participants),
        exclude=sorted(busy - participants),
        layers=layers,
        level_band=level_band,
        hop_cap=hop_cap,
        min_matched=min_matched,
        min_group=min_group,
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
    )
    parameters = {
        "cycle_id": cycle_id,
        "start": start.date().isoformat(),
        "end": end.date().isoformat(),
        **result.parameters,
    }
    return Result("impact", parameters, result.table, result.values)


def compare_snapshots(
    before: OrgGraph,
    after: OrgGraph,
    participants: Iterable[str],
    *,
    exclude: Iterable[str] = (),
    layers: Sequence[str] | str | None = (COLLABORATION,),
    leaders: Iterable[str] | None = None,
    level_band: int = 2,
    hop_cap: int = 6,
    min_matched: int = 20,
    min_group: int = 5,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Result:
    """Difference in differences between participants and comparable non-participants.

    Parameters
    ----------
    before, after
        The organisation at the start and at the end.
    participants
        person_ids of the participants.
    exclude
        person_ids to use in neither group (e.g. people in another programme meanwhile).
    layers
        Tie layers the outcomes are measured over (default collaboration).
    leaders
        person_ids of the leaders (default: ``is_leader`` in ``before``).
    level_band
        Width of a level band for the strata (levels ``b*w .. b*w + w - 1`` share a band).
    hop_cap
        Hops counted for anyone farther from (or unable to reach) a leader.
    min_matched
        Fewer matched participants than this: an estimate but no interval, and a note.
    min_group
        The privacy threshold: fewer matched participants than this, no figure at all.
    n_boot, confidence, seed
        Bootstrap resamples, interval level and seed.

    Returns
    -------
    Result
        ``impact``; table ``outcome, participants_before, participants_after,
        controls_before, controls_after, estimate, ci_low, ci_high`` (the control means are
        weighted as the estimate weighs them); values ``n_participants``, ``n_matched``,
        ``n_unmatched``, ``n_controls``, ``n_strata``, ``interval`` (bool) and ``note``.

    Raises
    ------
    ParameterError
        A parameter out of range, or no leader.
    PrivacyError
        ``min_group`` is under 5.
    """
    k = check_min_group(min_group)
    _check(level_band, n_boot, confidence, min_matched)
    if leaders is None:
        leaders = before.ids[before.leader_mask()].tolist()
    leaders = list(leaders)
    start = outcomes(before, layers=layers, leaders=leaders, hop_cap=hop_cap)
    end = outcomes(after, layers=layers, leaders=leaders, hop_cap=hop_cap)
    table = start.merge(end[["person_id", *OUTCOMES]], on="person_id", suffixes=("_0", "_1"))
    chosen = set(map(str, participants))
    table["participant"] = table["person_id"].isin(chosen)
    keep = (
        ~table["is_leader"]
        & table["department"].notna()
        & ~(table["person_id"].isin(set(map(str, exclude))) & ~table["participant"])
    )
    table = table.loc[keep.to_numpy()].reset_index(drop=True)
    table["stratum"] = _strata(table, level_band)
    controls = table.loc[~table["participant"]].groupby("stratum").size()
    has_control = controls[controls >= _MIN_CONTROLS]
    matched = table["participant"] & table["stratum"].isin(has_control.index)
    in_strata = table["stratum"].isin(set(table.loc[matched, "stratum"]))
    used = table.loc[in_strata.to_numpy()].reset_index(drop=True)
    n_participants = int(table["participant"].sum())
    n_matched = int(matched.sum())
    values: dict[str, object] = {
        "n_participants": n_participants,
        "n_matched": n_matched,
        "n_unmatched": n_participants - n_matched,
        "n_controls": int((~used["participant"]).sum()),
        "n_strata": int(used["stratum"].nunique()),
    }
    parameters = {
        "layers": list(layers) if isinstance(layers, tuple | list) else layers,
        "level_band": level_band,
        "hop_cap": hop_cap,
        "min_matched": min_matched,
        "min_group": k,
        "n_boot": n_boot,
        "confidence": confidence,
        "seed": seed,
        "n_leaders": len(leaders),
    }
    columns = [
        "outcome",
        "participants_before",
        "participants_after",
        "controls_before",
        "controls_after",
        "estimate",
        "ci_low",
        "ci_high",
    ]
    if n_matched < k:
        values.update(interval=False, note=f"fewer than {k} matched participants: nothing shown")
        blank = pd.DataFrame({"outcome": list(OUTCOMES)}).reindex(columns=columns)
        return Result("impact", parameters, blank, values)
    before_values = used[[f"{o}_0" for o in OUTCOMES]].to_numpy(dtype=float)
    after_values = used[[f"{o}_1" for o in OUTCOMES]].to_numpy(dtype=float)
    weights = _weights(used)
    rows = []
    for i, name in enumerate(OUTCOMES):
        rows.append(
            {
                "outcome": name,
                "participants_before": _mean(before_values[:, i], weights.treated),
                "participants_after": _mean(after_values[:, i], weights.treated),
                "controls_before": _mean(before_values[:, i], weights.control),
                "controls_after": _mean(after_values[:, i], weights.control),
            }
        )
    out = pd.DataFrame(rows)
    out["estimate"] = (out["participants_after"] - out["participants_before"]) - (
        out["controls_after"] - out["controls_before"]
    )
    if n_matched < min_matched:
        out["ci_low"] = np.nan
        out["ci_high"] = np.nan
        values.update(
            interval=False,
            note=f"only {n_matched} matched participants (fewer than {min_matched}): the "
            "estimate is shown without an interval and should not be relied on",
        )
    else:
        change = after_values - before_values
        draws = _bootstrap(used, change, n_boot, np.random.default_rng(seed))
        tail = (1 - confidence) / 2
        out["ci_low"] = np.quantile(draws, tail, axis=0)
        out["ci_high"] = np.quantile(draws, 1 - tail, axis=0)
        values.update(interval=True, note=None)
    return Result("impact", parameters, out[columns], values)


class _Weights:
    def __init__(self, treated: np.ndarray, control: np.ndarray) -> None:
        self.treated = treated
        self.control = control


def _weights(used: pd.DataFrame) -> _Weights:
    treated = used["participant"].to_numpy()
    per_stratum = used.groupby("stratum")["participant"].agg(["sum", "count"])
    n_treated = used["stratum"].map(per_stratum["sum"]).to_numpy(dtype=float)
    n_control = used["stratum"].map(per_stratum["count"] - per_stratum["sum"]).to_numpy(float)
    # Each stratum's controls stand in for its participants: weight n_treated / n_control.
    control = np.where(treated, 0.0, n_treated / np.maximum(n_control, 1))
    return _Weights(treated.astype(float), control)


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    return float(np.dot(values, weights) / weights.sum())


def _bootstrap(
    used: pd.DataFrame, change: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """ATT of every resample: participants redrawn as units (each against its stratum), and
    every stratum's non-participants redrawn within it.

    Redrawing participants within their stratum instead would give a stratum of one
    participant no variance at all, and intervals far too narrow.
    """
    codes, _ = pd.factorize(used["stratum"], sort=True)
    treated = used["participant"].to_numpy()
    n_strata = int(codes.max()) + 1
    control_means = np.empty((n_boot, n_strata, change.shape[1]))
    for stratum in range(n_strata):
        members = np.flatnonzero((codes == stratum) & ~treated)
        control_means[:, stratum] = _resampled_means(change[members], n_boot, rng)
    people = np.flatnonzero(treated)
    draws = rng.integers(0, len(people), size=(n_boot, len(people)))
    chosen = people[draws]
    own = change[chosen].mean(axis=1)
    against = control_means[np.arange(n_boot)[:, None], codes[chosen]].mean(axis=1)
    result: np.ndarray = own - against
    return result


def _resampled_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n = len(values)
    out = np.empty((n_boot, values.shape[1]))
    chunk = max(1, 2_000_000 // max(n, 1))
    for first in range(0, n_boot, chunk):
        size = min(chunk, n_boot - first)
        picks = rng.integers(0, n, size=(size, n))
        out[first : first + size] = values[picks].mean(axis=1)
    return out


def _strata(table: pd.DataFrame, level_band: int) -> pd.Series:
    numeric = pd.to_numeric(table["level"], errors="coerce")
    band = (numeric // level_band).astype("Int64").astype("string")
    band = band.fillna("label:" + table["level"].astype("string").fillna("(missing)"))
    hops = table["hops_to_leader_0"].to_numpy()
    exposure = np.where(hops <= 1, "1", np.where(hops == 2, "2", "3+"))
    return table["department"].astype(str) + "|" + band.astype(str) + "|" + exposure


def _check(level_band: int, n_boot: int, confidence: float, min_matched: int) -> None:
    if level_band < 1:
        raise ParameterError(f"level_band must be at least 1, got {level_band}")
    if not 100 <= n_boot <= 100_000:
        raise ParameterError(f"n_boot must be between 100 and 100000, got {n_boot}")
    if not 0.5 < confidence < 1:
        raise ParameterError(f"confidence must be between 0.5 and 1, got {confidence}")
    if min_matched < 1:
        raise ParameterError(f"min_matched must be at least 1, got {min_matched}")
