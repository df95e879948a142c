"""Recommender: gap-closing reciprocal mentoring pairs and sponsorships.

``recommend_pairs`` and ``recommend_sponsorships`` propose ties that obey every hard constraint
(:class:`Constraints`), scored by exposure gain, silo gain, complementarity and profile fit,
found by a lazy greedy with exact incremental updates, each with a breakdown and a reason;
``simulate`` gives the before/after of the headline metrics for any proposal set.
``programme_state`` reads the programme on a date (current ties, history, commitments, load)
and ``check_decision`` accepts a coordinator's decision only for a pair that may be made.
"""

from orgbridge.recommend._api import Recommendation, recommend_pairs, recommend_sponsorships
from orgbridge.recommend._baselines import BASELINES, baseline_pairs, score_proposals
from orgbridge.recommend._constraints import Constraints
from orgbridge.recommend._decisions import (
    check_decision,
    commitments_from_decisions,
    decision_key,
    latest_decisions,
    locked_and_declined,
)
from orgbridge.recommend._objective import PRESETS, Weights
from orgbridge.recommend._programme import Commitment, programme_state
from orgbridge.recommend._simulate import headline_metrics, simulate

__all__ = [
    "BASELINES",
    "PRESETS",
    "Commitment",
    "Constraints",
    "Recommendation",
    "Weights",
    "baseline_pairs",
    "check_decision",
    "commitments_from_decisions",
    "decision_key",
    "headline_metrics",
    "latest_decisions",
    "locked_and_declined",
    "programme_state",
    "recommend_pairs",
    "recommend_sponsorships",
    "score_proposals",
    "simulate",
]
