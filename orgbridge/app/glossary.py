"""What every metric the app shows means: one entry each, for the Glossary page and help icons.

Each :class:`Entry` has a plain sentence, the formula, how to read it and a threshold or
comparison (docs: /work/shared/DESIGN.md, "Metrics"). The Glossary page lists them all and the
help icon beside a metric on any page shows the same entry, so the two never disagree.
:func:`lookup` finds the entry of a label as a page shows it ("E-I index (department)",
"Within 2 hops", "share_within_2_hops").

Example
-------
>>> lookup("E-I index (department)").key, lookup("Effective size").key
('ei_index', 'effective_size')
>>> lookup("no such metric") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ENTRIES", "Entry", "entry", "lookup"]


@dataclass(frozen=True)
class Entry:
    """One metric explained: ``aliases`` are the other labels pages show it under."""

    key: str
    title: str
    sentence: str
    formula: str
    reading: str
    threshold: str
    aliases: tuple[str, ...] = ()


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "ei_index",
        "E-I index",
        "Whether a group's ties point outward to other groups or stay inside it.",
        "(E - I) / (E + I), E = weighted ties to other groups, I = weighted ties inside "
        "(Krackhardt and Stern 1988), per group and for the whole network.",
        "-1: every tie stays inside the group; +1: every tie goes outside.",
        "Compare with the random-mixing baseline, not with 0: an E-I below its baseline "
        "means the group keeps to itself more than chance would.",
        ("E-I", "whole-network E-I", "E-I per group", "internal ties", "external ties"),
    ),
    Entry(
        "ei_baseline",
        "E-I random-mixing baseline",
        "The E-I index a group would have if ties were made at random, ignoring groups.",
        "1 - 2(n_g - 1)/(n - 1) for a group of n_g among n people; "
        "1 - 2 sum n_g(n_g - 1)/(n(n - 1)) for the whole network.",
        "The expected E-I under random mixing; small groups have baselines near +1.",
        "A group at least 0.2 below its baseline is a clear silo.",
        ("random mixing", "baseline", "random-mixing baseline", "E-I minus baseline"),
    ),
    Entry(
        "modularity",
        "Modularity",
        "How much more the ties fall inside the groups than they would by chance.",
        "Q = sum over groups of (share of tie weight inside the group) - (share expected "
        "from the members' degrees)^2 (Newman).",
        "0: groups no more inward than random; higher: ties cluster within groups.",
        "Above 0.3 the formal groups are strongly separated; near 0 they barely matter.",
    ),
    Entry(
        "nmi",
        "NMI (normalised mutual information)",
        "How closely the informal communities found in the ties match the formal groups.",
        "I(C; G) / mean(H(C), H(G)) between the community and group labels of each person.",
        "1: the communities are the groups; 0: unrelated.",
        "Above 0.5: people mostly work within their formal group.",
        ("normalised mutual information",),
    ),
    Entry(
        "ari",
        "ARI (adjusted Rand index)",
        "Agreement between communities and groups, corrected for chance.",
        "(RI - E[RI]) / (max RI - E[RI]) over all pairs of people (Hubert and Arabie).",
        "1: identical partitions; 0: as expected by chance; below 0: less than chance.",
        "Read with NMI: both high means the org chart is the real structure.",
        ("adjusted Rand index",),
    ),
    Entry(
        "communities",
        "Communities",
        "Groups of people found from the ties alone (Leiden algorithm, seeded).",
        "Leiden maximises modularity over partitions of the tie graph.",
        "Compare each community with the formal groups in the crosstab.",
        "A community spread over many departments is an informal bridge.",
        ("community", "informal communities"),
    ),
    Entry(
        "ties",
        "Ties between groups",
        "How many ties (weighted) join each pair of groups.",
        "Sum of tie weights with one end in each group (inside a group on the diagonal).",
        "Large off-diagonal cells: groups that work together.",
        "Compare with density, which corrects for group sizes.",
        ("ties between groups", "matrix", "tie matrix"),
    ),
    Entry(
        "density",
        "Tie density",
        "The share of possible ties between two groups that exist.",
        "ties(a, b) / (n_a n_b) between groups, ties(a, a) / (n_a (n_a - 1) / 2) within.",
        "0: no ties; 1: everyone tied to everyone.",
        "A between-group density far below both within-group densities marks a silo.",
        ("tie density",),
    ),
    Entry(
        "betweenness",
        "Betweenness",
        "How often a person lies on the shortest paths between other people.",
        "sum over pairs s, t of sigma_st(v) / sigma_st, normalised; exact up to a size "
        "bound, sampled beyond with a stated error.",
        "High: the person brokers between otherwise distant people.",
        "Compare people with each other; the top 1% are the brokers to keep.",
    ),
    Entry(
        "constraint",
        "Constraint (Burt)",
        "How much a person's contacts are tied to each other, leaving them few open doors.",
        "c_i = sum_j (p_ij + sum_q p_iq p_qj)^2, p_ij the share of i's ties to j.",
        "Low: contacts in separate worlds (a broker); high: a closed circle.",
        "Below about 0.3 is broker-like; above 0.6 is closed.",
        ("burt's constraint",),
    ),
    Entry(
        "effective_size",
        "Effective size",
        "The number of a person's contacts that are not redundant with each other.",
        "n - 2t/n for a person with n contacts among whom t ties exist (Burt, Borgatti).",
        "Close to the number of contacts: contacts do not know each other.",
        "Compare with the person's number of ties.",
    ),
    Entry(
        "groups_tied",
        "Groups tied to",
        "The number of other groups a person has at least one tie to.",
        "count of distinct groups g != own group with a tie between the person and g.",
        "0: the person's ties stay in their group.",
        "People tied to 3 or more groups are cross-group connectors.",
    ),
    Entry(
        "degree",
        "Degree (ties per person)",
        "How many people a person is directly tied to.",
        "count of distinct neighbours over the chosen layers.",
        "Higher: more direct contacts.",
        "Compare with the organisation's median.",
    ),
    Entry(
        "bridging",
        "Single points of bridging",
        "Pairs of groups that are joined through one tie or through one person only.",
        "group pairs whose cross ties number one, or all share one person at one end.",
        "Losing that tie or person disconnects the two groups directly.",
        "Any such pair is a risk worth a second connection.",
        ("single points of bridging", "joined through", "bridging people", "via", "bridges"),
    ),
    Entry(
        "hops_to_leader",
        "Hops to nearest leader",
        "The fewest ties between a person and any leader, over the informal layers.",
        "shortest-path length to the nearest leader (collaboration, mentoring, sponsorship; "
        "the reporting line is excluded by default).",
        "1 hop: works directly with a leader; leaders themselves are at 0.",
        "Within 2 hops is the usual mark of access.",
        ("hops to the nearest leader", "hops", "mean hops to a leader", "mean_hops", "leader"),
    ),
    Entry(
        "within_2_hops",
        "Within 2 hops of a leader (coverage)",
        "The share of non-leaders whose ties reach a leader in one or two steps.",
        "non-leaders with hops_to_leader <= 2 / non-leaders (leaders excluded).",
        "Higher is better access; compare each group with the organisation's share.",
        "A group 10 points or more below the organisation is under-exposed.",
        (
            "within 2 hops",
            "share within 2 hops",
            "share_within_2_hops",
            "2 hops",
            "coverage within 2 hops",
            "within 2 hops of a leader",
        ),
    ),
    Entry(
        "within_1_hop",
        "Within 1 hop of a leader",
        "The share of non-leaders directly tied to a leader.",
        "non-leaders with hops_to_leader = 1 / non-leaders.",
        "Higher: more people work directly with leadership.",
        "Compare each group with the organisation's share.",
        ("within 1 hop", "share within 1 hop", "share_within_1_hop", "1 hop"),
    ),
    Entry(
        "more_hops",
        "3 or more hops",
        "People whose nearest leader is three or more ties away.",
        "hops_to_leader >= 3.",
        "These people have no short path to leadership.",
        "Shrinking this band is what mentoring and sponsorship aim for.",
        ("3 hops", "4+ hops"),
    ),
    Entry(
        "unreachable",
        "Unreachable",
        "People with no path at all to a leader over the chosen layers.",
        "hops_to_leader undefined (no path); share = unreachable non-leaders / non-leaders.",
        "Often people with no recorded collaboration: check the data before concluding.",
        "Any sizeable share is worth a look; 0% is the goal.",
        ("share unreachable", "share_unreachable"),
    ),
    Entry(
        "exposure",
        "Exposure score",
        "How easily a person's ties lead to leaders, counting all paths, not just the shortest.",
        "personalised PageRank restarting at leaders (damping 0.85), per person.",
        "Higher: more and shorter paths to leadership.",
        "Compare groups by their mean against the organisation's mean.",
        ("exposure", "mean exposure", "mean_exposure", "exposure vs organisation"),
    ),
    Entry(
        "leaders_within",
        "Leaders within k hops",
        "How many distinct leaders a person reaches in one or two steps.",
        "count of leaders at distance <= k (k = 1, 2).",
        "More leaders: more varied access and sponsorship chances.",
        "Compare with the organisation's median.",
        ("leaders within 1 hop", "leaders within 2 hops"),
    ),
    Entry(
        "equity_gap",
        "Exposure gap",
        "The difference in access to leadership between the best and worst shown group.",
        "max - min over shown groups of the share of non-leaders within 2 hops "
        "(leaders excluded; groups under the privacy threshold not compared).",
        "0 points: equal access; larger: some groups are far from leadership.",
        "Above 10 points is a gap worth acting on.",
        ("exposure gap", "gap", "equity gap", "gap to organisation"),
    ),
    Entry(
        "gini",
        "Gini of exposure",
        "How unequally the exposure score is spread across people.",
        "G = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)) over non-leaders.",
        "0: everyone equally exposed; near 1: a few people hold all access.",
        "Above 0.5 is highly unequal.",
        ("gini",),
    ),
    Entry(
        "coverage",
        "Programme coverage",
        "The share of people in at least one current mentoring pair or sponsorship.",
        "people in a current pair or sponsorship / people.",
        "Higher: the programme reaches more of the group.",
        "Compare each group with the organisation's coverage.",
        ("programme coverage",),
    ),
    Entry(
        "match_rate",
        "Match rate",
        "The share of enrolled participants who got at least one pair or sponsorship.",
        "participants matched / participants enrolled.",
        "100%: everyone who enrolled is matched.",
        "Below 80% usually means too little capacity or too strict constraints.",
        ("matched", "people matched"),
    ),
    Entry(
        "score",
        "Proposal score",
        "How much a proposed pair or sponsorship improves the programme's goals.",
        "weighted sum of exposure gain, silo gain, complementarity and profile fit.",
        "Higher is better; the breakdown shows where it comes from.",
        "Compare proposals of the same run only.",
        ("gain", "gain: exposure", "gain: silo", "gain: complementarity", "gain: fit"),
    ),
    Entry(
        "suppressed",
        "Suppressed (privacy threshold)",
        "A figure hidden because its group has fewer people than the privacy threshold.",
        "groups under k people (default 5, never below 5) are blank or pooled as "
        "'other groups'; others may be hidden so no total reveals them.",
        "A blank is deliberate, never missing data.",
        "k is at least 5.",
        ("suppressed", "other groups"),
    ),
    Entry(
        "people",
        "People",
        "Everyone in the snapshot of the organisation, or in a group.",
        "count of people (leaders included unless stated).",
        "Group sizes decide which figures can be shown.",
        "Groups under the privacy threshold are pooled.",
        ("size", "non-leaders", "leaders", "participants", "pairs"),
    ),
    Entry(
        "ties_across",
        "Ties across the chosen groups",
        "On the silo view: how many people of the other chosen groups a person is tied to.",
        "count of neighbours in a chosen group other than the person's own (informal layers).",
        "0: the person is not a bridge; the list shows only people with at least 1.",
        "A silo held together by 1 or 2 people is fragile: if they leave, the groups split.",
    ),
    Entry(
        "groups_reached",
        "Chosen groups reached",
        "On the silo view: how many of the other chosen groups a person has a tie to.",
        "count of distinct chosen groups g != own group with a tie between the person and g.",
        "Higher: the person connects more of the chosen groups at once.",
        "With 3 or more chosen groups, people reaching 2 or more are hubs between them.",
    ),
    Entry(
        "people_bridging",
        "People bridging",
        "On the silo view: how many people of a group have a tie to the other group of the pair.",
        "count of people of group A with at least one tie to someone in group B.",
        "Low against the group's size: the pair is a silo.",
        "Counts of 1 to 4 are shown as 'fewer than 5' (privacy threshold).",
        ("bridging_a", "bridging_b", "bridging a", "bridging b"),
    ),
    Entry(
        "pairs_started",
        "Pairs started",
        "Matches of a cycle that became active (the cycle started with them).",
        "count of matches of the cycle that became active (active, completed or ended early).",
        "Fewer than the approved pairs: some approved pairs never started.",
        "Every approved pair should start when its cycle starts.",
        ("pairs matched",),
    ),
    Entry(
        "meetings_per_pair_month",
        "Meetings per active pair per month",
        "How often pairs meet while their match is active.",
        "distinct (pair, day) meetings inside the pairs' active windows / the windows' total "
        "length in months (30.4375 days), as of today.",
        "1 or more: pairs meet about monthly, as most programmes ask.",
        "Below 0.5: most pairs are not meeting; look at the stalled pairs.",
        ("meetings", "minutes"),
    ),
    Entry(
        "stalled",
        "Stalled pairs",
        "Active pairs with no meeting recorded for more than N weeks (N set on the page).",
        "count of active pairs whose last meeting (or start) is more than N weeks ago.",
        "Each stalled pair is one a coordinator may call.",
        "More than 1 in 5 active pairs stalled: the cycle needs attention.",
        ("stalled pairs", "weeks since", "last meeting", "weeks since last meeting"),
    ),
    Entry(
        "mean_rating",
        "Average rating",
        "The mean of the participants' check-in ratings (1 to 5).",
        "sum of ratings / number of ratings, per cycle; the trend is the least-squares slope "
        "of the monthly mean (points per month).",
        "3 is neutral; a negative trend means pairs rate their meetings lower month by month.",
        "Months with fewer than 5 raters are left blank (privacy threshold).",
        ("rating", "average rating", "rating trend", "rating slope per month", "mean rating"),
    ),
    Entry(
        "milestones_reached",
        "Milestones reached",
        "Goal milestones the pairs have reached, of all the milestones they set.",
        "count of milestones with a reached date; share = reached / milestones set.",
        "A low share late in a cycle: goals were too ambitious or pairs stalled.",
        "Most programmes expect about half the milestones reached by mid-cycle.",
        ("milestones", "milestone share", "milestones reached share", "goals"),
    ),
    Entry(
        "ended_early_rate",
        "Ended-early rate",
        "Started pairs that ended before their cycle closed, and why.",
        "pairs ended early / pairs started; reasons given for fewer than 5 pairs are pooled.",
        "Some early ends are normal (people leave); many for the same reason is a signal.",
        "Above 10% of started pairs: read the reasons.",
        ("ended early", "reasons", "ended early reasons", "end reason"),
    ),
)

_BY_KEY = {e.key: e for e in ENTRIES}


def entry(key: str) -> Entry:
    """The entry of ``key``; KeyError for an unknown one (a programming error)."""
    return _BY_KEY[key]


def _norm(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", str(text))  # "E-I index (department)" -> "E-I index"
    text = text.replace("_", " ").casefold()
    return re.sub(r"\s+", " ", text).strip(" :")


_INDEX: dict[str, Entry] = {}
for _e in ENTRIES:
    for _name in (_e.key, _e.title, *_e.aliases):
        _INDEX.setdefault(_norm(_name), _e)


def lookup(label: str) -> Entry | None:
    """The entry a shown label refers to, or None.

    Example
    -------
    >>> lookup("Within 2 hops of a leader").key, lookup("share_unreachable").key
    ('within_2_hops', 'unreachable')
    """
    return _INDEX.get(_norm(label))
