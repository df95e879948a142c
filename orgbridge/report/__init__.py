"""Reports a consultant can hand to a client: a self-contained HTML page of an analysis."""

from orgbridge.report._html import render_html

__all__ = ["render_html"]
