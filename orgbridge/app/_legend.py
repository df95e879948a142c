"""The map's legends: every category's colour, or a continuous colour ramp and a size scale.

A numeric legend covers the whole range the map's scale spans (minimum to maximum, with evenly
spaced ticks between), not only the values that happen to be drawn, so a reader can place any
node on it.

Example
-------
>>> import pandas as pd
>>> from orgbridge.app.network import NetworkView
>>> nodes = pd.DataFrame({"id": ["a", "b"], "label": ["A", "B"], "x": [0.0, 1.0],
...     "y": [0.0, 1.0], "colour": [0.0, 1.0], "size": [4.0, 100.0], "hover": ["A", "B"]})
>>> edges = pd.DataFrame({"source": ["a"], "target": ["b"], "weight": [1.0]})
>>> found = map_legend(NetworkView("group", nodes, edges, "ei_index", "size"))
>>> found["colour"]["kind"], found["colour"]["ticks"][0], found["colour"]["ticks"][-1]
('ramp', '0', '1')
>>> [round(d) for _, d in found["size"]["circles"]]
[12, 48]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orgbridge.app import figures
from orgbridge.app.network import NetworkView

__all__ = ["map_legend"]

_TICKS = 5


def _tick(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def map_legend(view: NetworkView) -> dict[str, Any]:
    """``{"colour": ..., "size": ...}`` describing how to read the map's nodes.

    ``colour`` is ``{"kind": "categories", "items": [(colour, label), ...]}`` or
    ``{"kind": "ramp", "title", "gradient" (CSS), "ticks": [text, ...]}`` (or ``"none"`` when
    every value is withheld); ``size`` is ``{"title", "circles": [(text, diameter), ...]}`` or
    None when every node has the same size.
    """
    colours = view.nodes["colour"]
    colour: dict[str, Any]
    if figures._is_numeric(colours):
        values = colours.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            colour = {"kind": "none", "title": f"{view.colour_by}: every value withheld"}
        else:
            steps = np.linspace(finite.min(), finite.max(), _TICKS)
            ramp = figures._ramp(steps) if finite.max() > finite.min() else figures._ramp(steps[:1])
            colour = {
                "kind": "ramp",
                "title": view.colour_by,
                "gradient": f"linear-gradient(to right, {', '.join(ramp)})"
                if len(ramp) > 1
                else ramp[0],
                "ticks": [_tick(float(v)) for v in dict.fromkeys(steps.tolist())],
            }
    else:
        colour = {"kind": "categories", "items": figures.legend_items(view)}
    size_values = view.nodes["size"].to_numpy(dtype=float)
    finite = size_values[np.isfinite(size_values)]
    size = None
    if len(finite) and finite.max() > finite.min():
        marks = np.array([finite.min(), (finite.min() + finite.max()) / 2, finite.max()])
        diameters = figures._sizes(marks)
        if len(finite) == 2 or marks[1] in (marks[0], marks[2]):
            marks, diameters = marks[[0, 2]], diameters[[0, 2]]
        size = {
            "title": view.size_by,
            "circles": [(_tick(float(v)), float(d)) for v, d in zip(marks, diameters, strict=True)],
        }
    return {"colour": colour, "size": size}
