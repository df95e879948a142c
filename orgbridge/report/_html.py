"""render_html: one self-contained HTML page (inline CSS and SVG, no scripts, no network).

The page reads only the analysis document (docs/analysis.md), so what it shows is exactly
what ``--json`` exports, through the disclosure policy: groups under the threshold pooled into
one unlabelled row, groups hidden to protect them shown without figures.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["render_html"]

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1d2433;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;
border-bottom:1px solid #dde2ea;padding-bottom:.3rem}
.sub{color:#5b6475}.cards{display:flex;flex-wrap:wrap;gap:1rem;margin-top:1rem}
.card{border:1px solid #dde2ea;border-radius:8px;padding:.8rem 1rem;min-width:190px;flex:1}
.card .v{font-size:1.6rem;font-weight:600}.card .l{color:#5b6475;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin-top:.6rem}
th,td{border:1px solid #e3e7ee;padding:.25rem .45rem;text-align:right}
th{background:#f4f6f9}td.n,th.n{text-align:left}.sup{color:#8a6d00;font-style:italic}
.note{color:#5b6475;font-size:.85rem}
"""


def render_html(document: dict[str, Any], *, title: str = "Organisation network report") -> str:
    """The analysis as one HTML page: headline figures, group heatmap, exposure by group.

    Example
    -------
    >>> doc = {"parameters": {"group_by": "department", "layers": ["collaboration"],
    ...        "min_group": 5}, "network": {"people": 6, "ei_index": -0.5,
    ...        "ei_baseline": 0.2, "modularity": 0.3}, "groups": [], "group_ties":
    ...        {"groups": [], "ties": [], "density": []}, "communities": {}}
    >>> "<svg" in render_html(doc) or "E-I" in render_html(doc)
    True
    """
    params = document.get("parameters", {})
    network = document.get("network", {})
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<p class='sub'>Groups by <b>{}</b>; ties from {}; privacy threshold: groups of fewer "
        "than {} people are suppressed.{}</p>".format(
            _e(params.get("group_by", "department")),
            _e(", ".join(params.get("layers", []))),
            _e(params.get("min_group", 5)),
            f" As of {_e(params['as_of'])}." if params.get("as_of") else "",
        ),
        _headline(network),
        _notes(document.get("notes", [])),
        "<h2>Silos: ties between groups</h2>",
        "<p class='note'>E-I index (Krackhardt and Stern): from -1 (all ties inside the group) "
        "to +1 (all outside). Compare it with its random-mixing baseline: a group can have a "
        "positive E-I and still be a strong silo when its baseline is much higher.</p>",
        _ei_chart(document.get("groups", [])),
        _heatmap(document.get("group_ties", {})),
        "<h2>Access to leadership by group</h2>",
        _exposure_chart(document.get("groups", [])),
        _group_table(document.get("groups", [])),
        "<h2>Informal communities</h2>",
        _communities(document.get("communities", {})),
        "<h2>Single points of bridging</h2>",
        _bridging(document.get("bridging", [])),
        _impact(document.get("impact", [])),
        "</body></html>",
    ]
    return "\n".join(parts)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any, digits: int = 2, percent: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _e(value)
    if percent:
        return f"{100 * value:.0f}%"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _headline(network: dict[str, Any]) -> str:
    cards = [
        (_fmt(network.get("people")), "people"),
        (
            f"{_fmt(network.get('ei_index'))} <span class='sub'>vs "
            f"{_fmt(network.get('ei_baseline'))}</span>",
            "E-I index vs random-mixing baseline",
        ),
        (_fmt(network.get("modularity")), "modularity of the formal groups"),
        (
            _fmt(network.get("share_within_2_hops"), percent=True),
            "of non-leaders within 2 hops of a leader",
        ),
        (
            _fmt(network.get("worst_group_share_within_2_hops"), percent=True)
            + (
                f" <span class='sub'>{_e(network['worst_group_within_2_hops'])}</span>"
                if network.get("worst_group_within_2_hops")
                else ""
            ),
            "worst group's coverage (within 2 hops)",
        ),
        (
            _points(network.get("worst_gap_to_overall_within_2_hops")),
            "worst group below the organisation",
        ),
        (
            _points(network.get("equity_gap_within_2_hops")),
            "best minus worst group (within 2 hops)",
        ),
        (_fmt(network.get("exposure_gini")), "Gini of exposure across non-leaders"),
    ]
    body = "".join(
        f"<div class='card'><div class='v'>{value}</div><div class='l'>{_e(label)}</div></div>"
        for value, label in cards
    )
    return f"<div class='cards'>{body}</div>"


def _points(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.0f} points"


def _notes(notes: Sequence[str]) -> str:
    return "".join(f"<p class='sup'>{_e(note)}</p>" for note in notes)


def _bar_rows(rows: Sequence[tuple[str, Any, Any]], lo: float, hi: float) -> str:
    width, label_w, row_h = 760, 200, 22
    scale = (width - label_w - 60) / (hi - lo)
    zero = label_w + (0 - lo) * scale
    out = [f"<svg width='{width}' height='{row_h * len(rows) + 10}' role='img'>"]
    for i, (label, value, marker) in enumerate(rows):
        y = 5 + i * row_h
        out.append(f"<text x='0' y='{y + 15}' font-size='12'>{_e(label[:28])}</text>")
        if value is None:
            out.append(
                f"<text x='{label_w}' y='{y + 15}' font-size='12' fill='#8a6d00'>"
                "suppressed (small group)</text>"
            )
            continue
        x0, x1 = sorted((zero, label_w + (value - lo) * scale))
        out.append(
            f"<rect x='{x0:.1f}' y='{y + 3}' width='{max(x1 - x0, 1):.1f}' height='14' "
            "fill='#4c78a8'/>"
        )
        out.append(f"<text x='{x1 + 4:.1f}' y='{y + 15}' font-size='11'>{value:.2f}</text>")
        if marker is not None:
            xm = label_w + (marker - lo) * scale
            out.append(
                f"<line x1='{xm:.1f}' x2='{xm:.1f}' y1='{y + 1}' y2='{y + 19}' "
                "stroke='#e45756' stroke-width='3'/>"
            )
    out.append("</svg>")
    return "".join(out)


def _ei_chart(groups: list[dict[str, Any]]) -> str:
    if not groups:
        return "<p class='note'>No groups.</p>"
    rows = [(str(g["name"]), g.get("ei_index"), g.get("ei_baseline")) for g in groups]
    return (
        "<p class='note'>Bars: E-I index per group; red marks: random-mixing baseline.</p>"
        + _bar_rows(rows, -1.0, 1.0)
    )


def _exposure_chart(groups: list[dict[str, Any]]) -> str:
    if not groups:
        return ""
    rows = [(str(g["name"]), g.get("share_within_2_hops"), None) for g in groups]
    return (
        "<p class='note'>Share of each group's non-leaders within 2 hops of a leader over "
        "the informal ties (leaders are left out of every share, mean and gap).</p>"
        + _bar_rows(rows, 0.0, 1.0)
    )


def _heatmap(matrix: dict[str, Any]) -> str:
    labels = matrix.get("groups", [])
    if not labels:
        return ""
    density = matrix.get("density", [])
    counts = matrix.get("ties", [])
    finite = [v for row in density for v in row if v is not None]
    top = max(finite) if finite else 1.0
    head = "".join(f"<th>{_e(label[:14])}</th>" for label in labels)
    rows = []
    for label, drow, crow in zip(labels, density, counts, strict=True):
        cells = []
        for d, c in zip(drow, crow, strict=True):
            if d is None:
                cells.append("<td class='sup'>–</td>")
                continue
            share = d / top if top else 0.0  # white (no ties) to a mid blue (densest cell)
            red, green = int(255 - 135 * share), int(255 - 95 * share)
            cells.append(
                f"<td style='background:rgb({red},{green},255)' "
                f"title='density {d:.4f}'>{_fmt(c, 0)}</td>"
            )
        rows.append(f"<tr><th class='n'>{_e(label)}</th>{''.join(cells)}</tr>")
    return (
        "<p class='note'>Ties between groups (cell text) shaded by density; – marks a "
        "suppressed small group.</p>"
        f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


def _group_table(groups: list[dict[str, Any]]) -> str:
    header = (
        "<tr><th class='n'>group</th><th>size</th><th>E-I</th><th>baseline</th>"
        "<th>within 1 hop</th><th>within 2 hops</th><th>mean exposure</th>"
        "<th>unreachable</th></tr>"
    )
    rows = []
    for g in groups:
        if g.get("suppressed"):
            rows.append(
                f"<tr><td class='n'>{_e(g['name'])}</td>"
                f"<td colspan='7' class='sup n'>suppressed: {_e(g.get('note'))}</td></tr>"
            )
            continue
        rows.append(
            f"<tr><td class='n'>{_e(g['name'])}</td><td>{_fmt(g['size'])}</td>"
            f"<td>{_fmt(g['ei_index'])}</td><td>{_fmt(g['ei_baseline'])}</td>"
            f"<td>{_fmt(g['share_within_1_hop'], percent=True)}</td>"
            f"<td>{_fmt(g['share_within_2_hops'], percent=True)}</td>"
            f"<td>{_fmt(g['mean_exposure'], 5)}</td>"
            f"<td>{_fmt(g['share_unreachable'], percent=True)}</td></tr>"
        )
    return f"<table>{header}{''.join(rows)}</table>"


def _communities(info: dict[str, Any]) -> str:
    if not info:
        return ""
    return (
        f"<p>Leiden finds <b>{_fmt(info.get('count'))}</b> informal communities "
        f"(modularity {_fmt(info.get('modularity'))}; {_fmt(info.get('singletons'))} people "
        "without informal ties form their own). Agreement with the formal groups: "
        f"NMI {_fmt(info.get('nmi'))}, ARI {_fmt(info.get('ari'))} "
        "(1 = the informal structure is the org chart; 0 = unrelated).</p>"
    )


def _bridging(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No pair of groups depends on a single tie or a single person.</p>"
    body = "".join(
        f"<tr><td class='n'>{_e(r.get('group_a'))}</td><td class='n'>{_e(r.get('group_b'))}"
        f"</td><td>{_fmt(r.get('ties'))}</td><td class='n'>{_e(r.get('via'))}</td></tr>"
        for r in rows[:50]
    )
    return (
        "<table><tr><th class='n'>group</th><th class='n'>group</th><th>ties</th>"
        f"<th class='n'>depends on</th></tr>{body}</table>"
    )


_OUTCOME_LABELS = {
    "cross_department_ties": "Cross-department ties",
    "hops_to_leader": "Hops to the nearest leader",
    "leader_within_2_hops": "Leader within 2 hops (share)",
}


def _impact(results: Sequence[dict[str, Any]]) -> str:
    """Programme impact per cycle: aggregates only; a cycle too small says so, shows nothing.

    Example
    -------
    >>> small = {"parameters": {"cycle_id": "C1"}, "table": [],
    ...          "values": {"n_participants": 3, "note": "fewer than 5 matched participants"}}
    >>> "too small" in _impact([small]) and "C1" in _impact([small])
    True
    """
    if not results:
        return ""
    parts = [
        "<h2>Programme impact</h2>",
        "<p class='note'>Participants compared with comparable colleagues (same department, "
        "level band and starting distance to leadership) between the cycle's start and end: "
        "difference in differences with a bootstrap interval. Aggregates only; nothing is "
        "shown for fewer than the privacy threshold of matched participants.</p>",
    ]
    for result in results:
        values = result.get("values", {})
        cycle = result.get("parameters", {}).get("cycle_id", "")
        rows = result.get("table", [])
        header = (
            f"<h3>Cycle {_e(cycle)}</h3><p>{_fmt(values.get('n_participants'))} participants, "
            f"{_fmt(values.get('n_matched'))} matched with {_fmt(values.get('n_controls'))} "
            "comparable colleagues.</p>"
        )
        note = values.get("note")
        if not rows:
            parts.append(
                header + f"<p class='note'>The group is too small to show an estimate"
                f"{': ' + _e(note) if note else ''}.</p>"
            )
            continue
        body = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>".format(
                _e(_OUTCOME_LABELS.get(str(r.get("outcome")), r.get("outcome"))),
                _fmt(r.get("participants_before")),
                _fmt(r.get("participants_after")),
                _fmt(r.get("controls_before")),
                _fmt(r.get("controls_after")),
                _fmt(r.get("estimate")),
                "–"
                if r.get("ci_low") is None
                else f"{_fmt(r.get('ci_low'))} to {_fmt(r.get('ci_high'))}",
            )
            for r in rows
        )
        parts.append(
            header + "<table><tr><th>Outcome</th><th>Participants before</th>"
            "<th>after</th><th>Comparable before</th><th>after</th><th>Estimate</th>"
            f"<th>95% interval</th></tr>{body}</table>"
            + (f"<p class='note'>{_e(note)}</p>" if note else "")
        )
    return "\n".join(parts)
