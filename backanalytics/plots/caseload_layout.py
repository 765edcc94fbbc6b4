"""Where the caseload charts' axes go, worked out from the font sizes of their text.

A layout engine (constrained or tight layout) measures every tick label, title and legend of every
axes before drawing; for a caseload's small multiples that took most of the chart's time. Here the
text is known in advance (sizes from :data:`backanalytics.plots.style.RC` and the chart code), so
:func:`place_scatter` and :func:`place_panels` compute the margins in points and place the axes;
the figure's layout engine is turned off
(:func:`backanalytics.plots.placement.own_layout`) so nothing moves them afterwards.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from backanalytics.plots.placement import own_layout
from backanalytics.thresholds import THRESHOLDS

#: (left, bottom, width, height) in figure fractions.
Rect = tuple[float, float, float, float]
#: Height of a line of text in font sizes (matplotlib's 1.2 line spacing of a ~1.17 em glyph box,
#: rounded up).
LINE = 1.4
#: Points below the scatter's axes taken by its x tick labels (7 pt of tick and pad, 9 pt) and x
#: label (4 pt below them, 10 pt): its legend starts there.
X_LABELS = 7 + 9 * LINE + 4 + 10 * LINE
#: Room the small multiples' text takes, in points: a line of the heading (bold 11 pt); a panel
#: title (9.5 pt, 6 pt above the axes); below the bottom row the date ticks (7 pt of tick and pad,
#: 8 pt labels) and the year under them (9 pt); left of the first column the score ticks ("10" in
#: 8 pt: digits are 0.64 em wide) and, 4 pt further left, the 8.5 pt axis label.
HEADING_LINE, PANEL_TITLE = 11 * LINE, 6 + 9.5 * LINE
DATE_TICKS = 7 + 8 * LINE + 3 + 9 * LINE
SCORE_LABEL_X = 7 + 2 * 0.64 * 8 + 4
SCORE_TICKS = SCORE_LABEL_X + 8.5 * LINE
PANEL_GAP = 12.0


def size_in_points(fig: Figure | SubFigure, rect: Rect = (0.0, 0.0, 1.0, 1.0)) -> tuple[float, float]:
    """Width and height of ``rect`` (figure fractions) in points."""
    return fig.bbox.width / fig.dpi * 72 * rect[2], fig.bbox.height / fig.dpi * 72 * rect[3]


def wrap_to(title: str, inches: float, points: float = 11.0) -> str:
    """Wrap a bold title to lines that fit ``inches`` (about 0.66 em per character)."""
    return "\n".join(textwrap.wrap(title, max(20, int(inches * 72 / (0.66 * points)))))


def scatter_words(table: pd.DataFrame, mcid: float, room: float) -> tuple[str, int]:
    """The scatter's title wrapped to ``room`` inches (less the y labels) and its legend's columns."""
    shown = table.dropna(subset=["adherence", "pain_change"])
    improved = int((shown["pain_change"] <= -mcid).sum())
    at_risk = int((table["severity"] != "none").sum())
    title = wrap_to(f"Caseload: {improved} of {len(table)} clients improved by the MCID; "
                    f"{at_risk} with a recent flag", room - 0.9)
    return title, 3 if room >= 7.5 else 2 if room >= 4 else 1


def place_scatter(fig: Figure, rect: Rect, table: pd.DataFrame,
                  thresholds: Mapping[str, float] | None = None) -> Axes:
    """An Axes in ``rect`` (figure fractions) with room for the text of the caseload scatter.

    Worked out from font sizes like :func:`place_panels`: the title's lines (bold 11 pt), the
    two-line y label (10 pt) left of ticks like "−10" (9 pt), right of the axes half of the last
    x tick label ("120", 9 pt, centred on the axes' edge when it ends at a tick), and below the
    axes the x ticks, the x label and the legend's rows (9 pt; one entry per line and per severity
    drawn).
    """
    width, height = size_in_points(fig, rect)
    title, ncols = scatter_words(table, {**THRESHOLDS, **(thresholds or {})}["pain_mcid_points"], width / 72)
    entries = 2 + table.dropna(subset=["adherence", "pain_change"])["severity"].nunique()
    rows = -(-entries // ncols)
    top = 4 + (title.count("\n") + 1) * 11 * LINE + 6
    bottom = X_LABELS + rows * 9 * LINE + (rows - 1) * 4.5 + 8
    left = 4 + 2 * 10 * LINE + 4 + (0.84 + 2 * 0.64) * 9 + 7
    right = 3 * 0.64 * 9 / 2 + 4
    own_layout(fig)
    return fig.add_axes((rect[0] + rect[2] * left / width, rect[1] + rect[3] * bottom / height,
                         rect[2] * (width - left - right) / width, rect[3] * (height - top - bottom) / height))


def place_panels(fig: Figure | SubFigure, rect: Rect, n: int, ncols: int, heading_lines: int = 1) -> list[Axes]:
    """``n`` Axes in rows of ``ncols`` filling ``rect``, with room for the small multiples' text.

    The margins are worked out from the font sizes of that text, not measured: a layout engine
    measures every tick label and title of every panel (twice per pass for constrained layout),
    which took most of a caseload chart's time. The figure's layout engine is turned off
    (:func:`~backanalytics.plots.placement.own_layout`) so it does not move the panels.
    """
    nrows = math.ceil(n / ncols)
    width, height = size_in_points(fig, rect)
    top = 4 + heading_lines * HEADING_LINE + 4 + PANEL_TITLE
    panel_w = max(1.0, (width - SCORE_TICKS - PANEL_GAP / 2 - (ncols - 1) * PANEL_GAP) / ncols)
    row_gap = PANEL_TITLE + 3.5 + 6
    panel_h = max(1.0, (height - top - DATE_TICKS - 4 - (nrows - 1) * row_gap) / nrows)
    own_layout(fig)
    axes = []
    for i in range(n):
        row, col = divmod(i, ncols)
        x = SCORE_TICKS + col * (panel_w + PANEL_GAP)
        y = height - top - row * (panel_h + row_gap) - panel_h
        axes.append(fig.add_axes((rect[0] + rect[2] * x / width, rect[1] + rect[3] * y / height,
                                  rect[2] * panel_w / width, rect[3] * panel_h / height)))
    return axes


#: Width of one small multiple (inches) when the caseload chart picks the number of columns.
PANEL_WIDTH = 1.9
#: A figure at least this many times as wide as tall puts the scatter beside the small multiples.
SIDE_BY_SIDE_ASPECT = 1.3


def caseload_size(n_clients: int, width: float = 10.5) -> tuple[float, float]:
    """A figure size for the caseload chart that prints at its true size on A4 landscape.

    10.5 inches fits the 273 mm text width of an A4 landscape page, so 8-point labels stay 8
    points; the height grows with the rows of small multiples (the scatter beside them).
    """
    trend_width = width * 1.35 / 2.35
    ncols = max(1, min(4, int(trend_width // PANEL_WIDTH)))
    rows = max(1, math.ceil(n_clients / ncols))
    return width, max(4.6, 1.5 * rows + 0.5)
