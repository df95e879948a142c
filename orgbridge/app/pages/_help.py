"""Help icons: a small "?" beside a metric that opens its glossary entry (hover or focus).

Every metric label on every page is made by :func:`metric_label`, so each carries its
glossary key in ``data-metric`` (the browser test reads it) and the same text as the
Glossary page.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from orgbridge.app.glossary import Entry, entry

__all__ = ["entry_body", "help_icon", "metric_label"]


def entry_body(item: Entry) -> list[Any]:
    """The entry as paragraphs: sentence, formula, how to read it, threshold."""
    return [
        html.P(item.sentence, className="mb-1"),
        html.P([html.B("Formula: "), html.Code(item.formula)], className="mb-1"),
        html.P([html.B("How to read it: "), item.reading], className="mb-1"),
        html.P([html.B("Threshold: "), item.threshold], className="mb-0"),
    ]


def help_icon(key: str, place: str) -> html.Span:
    """A "?" badge whose popover shows the glossary entry ``key``; ``place`` makes its id
    unique on the page."""
    item = entry(key)
    target = f"help-{place}-{key}"
    return html.Span(
        [
            html.Span(
                "?",
                id=target,
                tabIndex="0",
                className="badge rounded-pill bg-secondary ms-1 ob-help",
                style={"cursor": "help", "fontSize": "0.7em", "verticalAlign": "middle"},
                **_attributes(key, item.title),
            ),
            dbc.Popover(
                [
                    dbc.PopoverHeader(item.title),
                    dbc.PopoverBody(
                        [*entry_body(item), html.A("Glossary", href=f"/glossary#{key}")]
                    ),
                ],
                target=target,
                trigger="hover focus",
                placement="bottom",
            ),
        ]
    )


def _attributes(key: str, title: str) -> dict[str, Any]:
    return {"data-metric": key, "aria-label": f"what is {title}?"}


def metric_label(text: str, key: str, place: str) -> html.Span:
    """``text`` followed by the help icon of glossary entry ``key``."""
    return html.Span([text, help_icon(key, place)], className="ob-metric")
