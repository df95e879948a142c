"""Reports a consultant can hand to a client: a self-contained HTML page of an analysis."""

from orgbridge.report._html import render_html
from orgbridge.report._stored import analyze_store, summary_line

__all__ = ["analyze_store", "render_html", "summary_line"]
