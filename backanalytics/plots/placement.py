"""Where a client chart's axes go, worked out from the measured extents of its text.

A layout engine (tight or constrained layout) finds the margins by measuring the whole of every
axes (ticks, spines, every text) and, for constrained layout, solving constraints: a fifth to a
third of a report chart's time. Here only the text around the axes is measured, once, with the
figure's own renderer (the sizes it is drawn at): the y tick labels and y label left of each axes,
a legend anchored just right of it, the titles above, the x tick labels, the date axis' year and
the x label below, and the figure's heading. The axes are placed from those sizes and the figure's
layout engine is turned off (:func:`own_layout`), so a chart
is laid out once, before it is drawn, and drawn once.

- :func:`place_column`: axes stacked in a column, sharing their left and right edges (the
  progress chart's two panels);
- :func:`place_side_by_side`: two axes in a row, the left one with its legend (the stretch mix);
- :func:`place_single`: one axes, with what sits just right of it (the report's weekly, relief,
  A/B phase and questionnaire charts).

All take figures made by :func:`backanalytics.report.figures.new_figure` or any other, and
``SubFigure``s.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.text import Text

#: Points: around the figure; between side-by-side panels (after a legend); between stacked
#: panels; from an axis to its tick labels (3.5 pt ticks + 3.5 pt pad).
EDGE, GAP, ROW_GAP, TICKS = 4.0, 12.0, 8.0, 7.0
#: Points between the x tick labels and the offset text under them (matplotlib's ``OFFSETTEXTPAD``).
OFFSET_PAD = 3.0


def own_layout(fig: Figure | SubFigure) -> None:
    """Turn a figure's layout engine off (``layout="none"``): its axes are placed by hand.

    A figure that had an engine keeps matplotlib's placeholder, which does nothing, so code that
    lays a figure out before saving it still can; a SubFigure's parent is left as it is.
    """
    if isinstance(fig, Figure):
        fig.set_layout_engine("none")


def _points(fig: Figure | SubFigure) -> float:
    """Display pixels per point."""
    return fig.dpi / 72


def widest(texts: Sequence[Any], px: float) -> float:
    """Width in points of the widest non-empty text (0 when none)."""
    return max((t.get_window_extent().width / px for t in texts if t.get_visible() and t.get_text()), default=0.0)


def tallest(texts: Sequence[Any], px: float) -> float:
    """Height in points of the tallest non-empty text (0 when none)."""
    return max((t.get_window_extent().height / px for t in texts if t.get_visible() and t.get_text()),
               default=0.0)


def titles(ax: Axes) -> list[Text]:
    """The title Text artists of ``ax`` (left, centre, right) that are set."""
    shown = {ax.get_title(loc) for loc in ("left", "center", "right")} - {""}
    return [t for t in ax.get_children() if isinstance(t, Text) and t.get_text() in shown]


def heading(fig: Figure | SubFigure) -> list[Text]:
    """The figure's suptitle Text, when it has one."""
    text = fig.get_suptitle()
    return [t for t in fig.texts if text and t.get_text() == text]


def drawn_ticklabels(ax: Axes, which: str) -> list[Text]:
    """The ``x`` or ``y`` tick labels drawn: shown, inside the axis' limits (matplotlib keeps
    labels of ticks just beyond them, undrawn)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = sorted(axis.get_view_interval())
    at = 0 if which == "x" else 1
    return [t for t in axis.get_ticklabels() if lo <= t.get_position()[at] <= hi]


def _left(ax: Axes, px: float) -> float:
    """Points left of ``ax``: y label, its pad, y tick labels, ticks."""
    label = widest([ax.yaxis.label], px)
    return label + (mpl.rcParams["axes.labelpad"] if label else 0.0) + widest(drawn_ticklabels(ax, "y"), px) + TICKS


def _below(ax: Axes, px: float) -> float:
    """Points below ``ax``: ticks, x tick labels, the offset (a date axis' year), the x label."""
    ticks = drawn_ticklabels(ax, "x")  # formats the ticks: the formatter now knows its offset
    need = TICKS + tallest(ticks, px) if ticks else 0.0
    offset_text = ax.xaxis.get_offset_text()  # matplotlib sets its text when drawing; set it now
    offset_text.set_text(ax.xaxis.get_major_formatter().get_offset())
    offset = tallest([offset_text], px)
    label = tallest([ax.xaxis.label], px)
    return need + (offset + OFFSET_PAD if offset else 0.0) + (label + mpl.rcParams["axes.labelpad"] if label else 0.0)


def _above(ax: Axes, px: float) -> float:
    """Points above ``ax``: its titles and their pad."""
    top = tallest(titles(ax), px)
    return top + mpl.rcParams["axes.titlepad"] if top else 0.0


def place_column(fig: Figure | SubFigure, axes: Sequence[Axes]) -> None:
    """Stack drawn ``axes`` top to bottom, equally tall, sharing left and right edges.

    Each axes' legend is expected outside on the right, anchored at its top right corner plus
    1 % of its width (``loc="upper left", bbox_to_anchor=(1.01, 1.0)``, as the progress chart
    puts it); a legend taller than its axes pushes the next one down. The figure's heading
    (``suptitle``) goes above the first, its top at the figure's edge less :data:`EDGE`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(6, 4), dpi=100)
    >>> top, bottom = fig.add_subplot(211), fig.add_subplot(212)
    >>> _ = top.set_title("Pain"), top.set_ylabel("score"), bottom.set_title("Flexibility")
    >>> place_column(fig, [top, bottom])
    >>> bool(top.get_position().y0 > bottom.get_position().y1)  # the first above the second
    True
    >>> bool(top.get_position().x0 == bottom.get_position().x0)
    True
    """
    px = _points(fig)
    width, height = fig.bbox.width / px, fig.bbox.height / px
    own_layout(fig)
    legends = [ax.get_legend() for ax in axes]
    legend_w = [lg.get_window_extent().width / px if lg is not None else 0.0 for lg in legends]
    legend_h = [lg.get_window_extent().height / px if lg is not None else 0.0 for lg in legends]
    left = EDGE + max(_left(ax, px) for ax in axes)
    overhang = max(widest(drawn_ticklabels(ax, "x"), px) / 2 for ax in axes)
    axes_w = min((width - left - EDGE - max(legend_w)) / 1.01, width - left - EDGE - overhang)
    fit_heading(fig)
    for ax in axes:
        fit_titles(ax, (width - left - EDGE) * px)
    head = tallest(heading(fig), px)
    top = EDGE + (head + ROW_GAP / 2 if head else 0.0)
    above = [_above(ax, px) for ax in axes]
    below = [_below(ax, px) for ax in axes]
    for _ in range(3):  # a legend taller than its axes: room below it (converges in a step or two)
        fixed = top + EDGE + sum(above) + sum(below) + ROW_GAP * (len(axes) - 1)
        axes_h = max((height - fixed) / len(axes), 1.0)
        below = [max(b, lh - axes_h) for b, lh in zip(below, legend_h, strict=True)]
    y = height - top
    for ax, a, b in zip(axes, above, below, strict=True):
        y -= a + axes_h
        ax.set_position((left / width, y / height, max(axes_w, 1.0) / width, axes_h / height))
        y -= b + ROW_GAP
    for text in heading(fig):  # its top EDGE below the figure's
        text.set_y(1 - EDGE / height)
        text.set_verticalalignment("top")


def place_side_by_side(fig: Figure | SubFigure, left: Axes, right: Axes, ratio: float = 1.6) -> None:
    """Place two drawn axes side by side, ``left`` ``ratio`` times as wide as ``right``.

    The margins are the measured extents of what each axes shows: the y tick labels left of
    each, the left one's legend (anchored just right of it) between them, the titles above, the x
    tick labels and x labels below, and half an x tick label right of the figure's last axes
    (its last tick may sit on the edge); a right title wider than its panel takes room from both.
    """
    px = _points(fig)
    width, height = fig.bbox.width / px, fig.bbox.height / px
    own_layout(fig)
    legend = left.get_legend()
    legend_w = legend.get_window_extent().width / px if legend is not None else 0.0
    x0 = EDGE + _left(left, px)
    between = legend_w + GAP + _left(right, px)
    right_pad = EDGE + widest(drawn_ticklabels(right, "x"), px) / 2
    room = width - x0 - between  # for both axes, the right margin and the legend's 1 % gap
    right_w = min((room - right_pad) / (1.01 * ratio + 1), (room - EDGE - widest(titles(right), px)) / (1.01 * ratio))
    left_w = max(ratio * right_w, 1.0)
    right_x = x0 + 1.01 * left_w + between
    fit_titles(left, (right_x - x0 - GAP) * px)  # a long client id: the left title wraps before the right one
    fit_titles(right, (width - right_x - EDGE) * px)
    top = EDGE + max(_above(left, px), _above(right, px))
    bottom = EDGE + max(_below(left, px), _below(right, px))
    axes_h = max(height - top - bottom, 1.0)
    left.set_position((x0 / width, bottom / height, left_w / width, axes_h / height))
    right.set_position((right_x / width, bottom / height, max(right_w, 1.0) / width, axes_h / height))


def _right_of(ax: Axes) -> list[tuple[float, float]]:
    """What ``ax`` holds just right of its frame: (where it starts, in axes widths from the
    left edge; its width in display pixels) for its legend and its texts placed at ``x >= 1`` in
    axes coordinates (a note beside the data, as the A/B phase chart writes its effect sizes, with
    the box drawn round it)."""
    box = ax.get_window_extent()
    found = []
    legend = ax.get_legend()
    if legend is not None:
        extent = legend.get_window_extent()
        if box.width > 0 and extent.x0 >= box.x1:
            found.append(((extent.x0 - box.x0) / box.width, extent.width))
    for text in ax.texts:
        if text.get_visible() and text.get_text() and text.get_transform() == ax.transAxes \
                and text.get_position()[0] >= 1 and text.get_horizontalalignment() == "left":
            width = text.get_window_extent().width
            frame = text.get_bbox_patch()  # a box drawn round the text: its padding and edge on the right
            if frame is not None:
                pad = frame.get_boxstyle().pad * text.get_fontsize() + frame.get_linewidth() / 2
                width += pad * _points(ax.figure)
            found.append((text.get_position()[0], width))
    return found


def wrap_to_width(text: Text, pixels: float) -> None:
    """Break ``text`` into lines at spaces so that it is at most ``pixels`` wide (measured once,
    the line length scaled from it); a text that fits, or has no space to break at, is left as it is.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure(figsize=(4, 3), dpi=100).add_subplot()
    >>> title = ax.set_title("anna: pain may have improved once stretching began (NAP 0.79)")
    >>> wrap_to_width(title, 300)
    >>> "\\n" in title.get_text() and bool(title.get_window_extent().width <= 300)
    True
    """
    words = text.get_text()
    wide = text.get_window_extent().width
    if wide <= pixels or " " not in words:
        return
    longest = max(len(line) for line in words.splitlines())
    for chars in range(int(longest * pixels / wide), 0, -1):  # the measured width, scaled; then shorter
        text.set_text("\n".join(textwrap.wrap(" ".join(words.split()), chars, break_long_words=False)))
        if text.get_window_extent().width <= pixels or chars < 8:
            return


def shorten_to_width(text: Text, pixels: float, before: str, middle: str, after: str = "") -> None:
    """Set ``text`` to ``before + middle + after``, with ``middle`` cut short and ended with "…"
    when the whole is wider than ``pixels`` (a client id in a small panel's title).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure(figsize=(4, 3), dpi=100).add_subplot()
    >>> title = ax.set_title("")
    >>> shorten_to_width(title, 200, "6. ", "Margaret-Anne Fitzgerald-Worthington", " [warning]")
    >>> title.get_text().startswith("6. Marg"), title.get_text().endswith("… [warning]")
    (True, True)
    >>> bool(title.get_window_extent().width <= 200)
    True
    """
    text.set_text(before + middle + after)
    wide = text.get_window_extent().width
    if wide <= pixels:
        return
    keep = int(len(middle) * min(1.0, pixels / wide))
    while keep > 1:
        text.set_text(f"{before}{middle[:keep].rstrip()}…{after}")
        if text.get_window_extent().width <= pixels:
            return
        keep -= max(1, keep // 8)


def fit_titles(ax: Axes, pixels: float) -> None:
    """Wrap the titles of ``ax`` (see :func:`wrap_to_width`) that are wider than ``pixels``."""
    for title in titles(ax):
        wrap_to_width(title, pixels)


def fit_heading(fig: Figure | SubFigure) -> None:
    """Wrap the figure's heading to the room right of where it starts (or, centred, to the
    figure less :data:`EDGE` each side)."""
    px = _points(fig)
    width = fig.bbox.width / px
    for text in heading(fig):
        x = text.get_position()[0]
        room = width * (1 - x) - EDGE if text.get_horizontalalignment() == "left" else width - 2 * EDGE
        wrap_to_width(text, room * px)


def place_single(fig: Figure | SubFigure, ax: Axes) -> None:
    """Place one drawn axes so that its text fills the figure less :data:`EDGE` all round.

    Left of it the y label and tick labels, above it its titles (under the figure's heading, if
    any), below it the x tick labels, the date axis' year and the x label; on the right what it
    holds just outside its frame (a legend anchored at its top right corner, a note at ``x >= 1``
    in axes coordinates), which keeps its place relative to the axes, or else half the widest x
    tick label (the last may sit on the edge).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(6, 3), dpi=100)
    >>> ax = fig.add_subplot()
    >>> _ = ax.plot([0, 1], [0, 1], label="pain"), ax.set_ylabel("score"), ax.set_title("Pain")
    >>> _ = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    >>> place_single(fig, ax)
    >>> fig.draw_without_rendering()
    >>> legend = ax.get_legend().get_window_extent()
    >>> bool(legend.x0 > ax.get_window_extent().x1 and legend.x1 <= fig.bbox.x1 - EDGE * 100 / 72 + 0.5)
    True
    """
    px = _points(fig)
    width, height = fig.bbox.width / px, fig.bbox.height / px
    own_layout(fig)
    left = EDGE + _left(ax, px)
    room = width - left - EDGE
    fit_titles(ax, room * px)  # a long title (a long client id) wraps instead of running off the figure
    fit_heading(fig)
    axes_w = room - widest(drawn_ticklabels(ax, "x"), px) / 2
    for at, pixels in _right_of(ax):  # starts at `at` axes widths, ends within the figure
        axes_w = min(axes_w, (room - pixels / px) / at)
    head = tallest(heading(fig), px)
    top = EDGE + (head + ROW_GAP / 2 if head else 0.0) + _above(ax, px)
    bottom = EDGE + _below(ax, px)
    ax.set_position((left / width, bottom / height, max(axes_w, 1.0) / width,
                     max(height - top - bottom, 1.0) / height))
    for text in heading(fig):  # its top EDGE below the figure's
        text.set_y(1 - EDGE / height)
        text.set_verticalalignment("top")
