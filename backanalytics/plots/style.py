"""The one look every backanalytics chart shares: palette, style context and small axis helpers.

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), distinguishable
with the common colour-vision deficiencies. Where colour marks a judgement it is doubled by a
hatch or marker shape (target missed: hatched; pain rose: upward triangle; caseload severity:
diamond / triangle / circle), so those charts survive greyscale printing too. Sequential data use a
single-hue blue ramp whose lightness alone carries the value (:func:`sequential_cmap`).

:func:`plot_style` applies the look inside a :func:`matplotlib.rc_context`, so the caller's global
``rcParams`` are never changed. Titles are sentences, left-aligned: read them back with
``ax.get_title("left")`` (``ax.get_title()`` reads the empty centre title). The charts set their titles at
``y=1`` (just above the frame) wherever their x tick labels are below it: left to matplotlib, every
drawing measured the y tick labels again to look for text above the frame (about 5 % of a report
chart's time). The calendar, with its month labels on top, leaves its title to matplotlib.

The helpers below are shared by the plot modules: picking one client's rows, creating an Axes /
Figure only when the caller did not pass one, readable dates, and the "nothing to draw" panel.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure, SubFigure

from backanalytics import columns as C

#: Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#7F7F7F"
LIGHT_GREY = "#D9D9D9"

#: What each colour means, so every chart says the same thing with the same colour.
COLORS: dict[str, str] = {
    C.PAIN: OKABE_ITO["vermillion"],
    C.FLEXIBILITY: OKABE_ITO["blue"],
    C.REACH_CM: OKABE_ITO["bluish_green"],
    "trend": OKABE_ITO["black"],
    "band": OKABE_ITO["sky_blue"],
    "phase": GREY,
    "good": OKABE_ITO["bluish_green"],
    "bad": OKABE_ITO["vermillion"],
    "neutral": GREY,
    "target": OKABE_ITO["black"],
    "alert": OKABE_ITO["vermillion"],
    "warning": OKABE_ITO["orange"],
    "info": OKABE_ITO["sky_blue"],
    "missing": LIGHT_GREY,
}
#: Stretch kinds (catalog) -> colour.
KIND_COLORS: dict[str, str] = {
    "static": OKABE_ITO["blue"],
    "dynamic": OKABE_ITO["orange"],
    "strength": OKABE_ITO["reddish_purple"],
    "unknown": GREY,
}
#: Sequential scale: matplotlib's "Blues" without its near-white end (white means "no stretching").
SEQUENTIAL_RANGE = (0.28, 1.0)

#: Human names and units of the scores, for axis labels.
SCORE_LABELS: dict[str, str] = {
    C.PAIN: "Pain (0-10 NPRS)",
    C.PAIN_AFTER: "Pain after session (0-10 NPRS)",
    C.FLEXIBILITY: "Flexibility (0-10 self-rated)",
    C.REACH_CM: "Reach (cm)",
}
SCORE_NAMES: dict[str, str] = {C.PAIN: "pain", C.PAIN_AFTER: "pain after stretching",
                               C.FLEXIBILITY: "flexibility", C.REACH_CM: "reach"}

RC: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#E6E6E6",
    "grid.linewidth": 0.8,
    "axes.prop_cycle": mpl.cycler(color=[OKABE_ITO[k] for k in (
        "blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "yellow",
        "black")]),
    "legend.frameon": False,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
    "figure.facecolor": "white",
    # Client ids and stretch names are the user's text: "$" must not start math ("Jo $\\foo$"
    # made matplotlib raise on drawing, and the whole report with it).
    "text.parse_math": False,
}


@contextmanager
def plot_style(**overrides: Any) -> Iterator[None]:
    """Context manager: the backanalytics look inside ``matplotlib.rc_context`` (globals untouched).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = mpl.rcParams["axes.spines.top"]
    >>> with plot_style():
    ...     mpl.rcParams["axes.spines.top"]
    False
    >>> mpl.rcParams["axes.spines.top"] == before
    True
    """
    with mpl.rc_context({**RC, **overrides}):
        try:
            yield
        finally:
            # A first chart in a Jupyter kernel activates the inline backend, which turns on
            # interactive mode; rc_context would switch it off again on the way out, and the inline
            # backend then shows no later figure. That setting belongs to the backend: keep it.
            interactive = mpl.is_interactive()
    if mpl.is_interactive() != interactive:
        mpl.interactive(interactive)


F = TypeVar("F", bound=Callable[..., Any])


def styled(func: F) -> F:
    """Decorator: run a plot function inside :func:`plot_style`; the titles and axis labels of
    the axes it drew on are plain text too when the axes were made outside the style (a caller's
    ``ax``): see :func:`plain_text`."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with plot_style():
            drawn = func(*args, **kwargs)
        plain_text(drawn)
        return drawn
    return wrapper  # type: ignore[return-value]


def plain_text(drawn: Any) -> None:
    """Turn math parsing off for the titles and axis labels of ``drawn``: an Axes, or every axes
    of a Figure or SubFigure (a plot function that fills a figure). Other axes of the caller's
    figure keep theirs.

    They hold client ids and stretch names, the user's text, and were made with the axes: when the
    axes come from outside :func:`plot_style` they would otherwise read ``$...$`` as math (and a
    client id like ``Jo $\\foo$`` would stop the chart, and the report, with an error).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax, other = fig.subplots(1, 2)
    >>> _ = ax.set_title("Jo $x$"), other.set_title(r"$\\alpha$")
    >>> plain_text(ax)
    >>> ax.title.get_parse_math(), other.title.get_parse_math()
    (False, True)
    """
    axes = drawn.axes if isinstance(drawn, (Figure, SubFigure)) else [drawn] if isinstance(drawn, Axes) else []
    for ax in axes:
        for text in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label):
            text.set_parse_math(False)


def sequential_cmap() -> ListedColormap:
    """Light-to-dark blue scale for amounts (minutes stretched), without the near-white end."""
    lo, hi = SEQUENTIAL_RANGE
    return ListedColormap(mpl.colormaps["Blues"](np.linspace(lo, hi, 256)), name="backanalytics_blues")


def get_ax(ax: Axes | None, figsize: tuple[float, float] = (8.0, 3.6)) -> Axes:
    """The caller's Axes, or a new one on a new constrained-layout figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: reports draw on figures of their own, outside pyplot

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def get_fig(fig: Figure | SubFigure | None, figsize: tuple[float, float]) -> Figure | SubFigure:
    """The caller's (empty) Figure or SubFigure, or a new constrained-layout one."""
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained")


def client_log(log: pd.DataFrame, client: str) -> pd.DataFrame:
    """One client's rows (a filtered copy: the caller's log is never touched).

    Raises a ValueError naming the known clients when ``client`` is not in the log.
    """
    rows = log[log[C.CLIENT_ID] == client]
    if rows.empty:
        known = ", ".join(sorted(map(str, pd.unique(log[C.CLIENT_ID]))))[:300]
        raise ValueError(f"client {client!r} is not in the log (clients: {known or 'none'})")
    return rows.copy()


def stretched(log: pd.DataFrame) -> pd.Series:
    """Rows that record a stretch (non-empty ``stretch``)."""
    names = log[C.STRETCH].astype("string").str.strip()
    return (names.notna() & (names != "")).fillna(False).astype(bool)


def first_stretch_day(log: pd.DataFrame) -> pd.Timestamp | None:
    """The first day with a stretch in (one client's) log, or None."""
    days = log.loc[stretched(log), C.DATE]
    return None if days.empty else pd.Timestamp(days.min()).normalize()


def phase_start(log: pd.DataFrame, score: str = C.PAIN) -> pd.Timestamp | None:
    """Start of phase B: the first stretch day, when scores were logged before it (a baseline).

    None when the client never stretched or has no score before the first stretch (no A phase).
    """
    first = first_stretch_day(log)
    if first is None or score not in log:
        return None
    before = log[C.DATE].dt.normalize() < first
    return first if bool((log[score].notna() & before).any()) else None


#: ConciseDateFormatter formats (years, months, days, hours, minutes, seconds). Day ticks name
#: their month ("15 Sep"), so the offset at the axis end is only ever the year: matplotlib's
#: default offset for day ticks is the *last* tick's month ("2026-Nov"), which reads as a stray
#: label under a chart spanning several months.
DATE_FORMATS = ["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"]
DATE_ZERO_FORMATS = ["", "%b %Y", "%b", "%d %b", "%H:%M", "%H:%M"]
DATE_OFFSET_FORMATS = ["", "%Y", "%Y", "%d %b %Y", "%d %b %Y", "%d %b %Y %H:%M"]


def date_axis(ax: Axes, mondays: int | None = None) -> None:
    """Readable dates on the x axis with matplotlib's ConciseDateFormatter.

    ``mondays``: the number of weeks shown; ticks then fall on Mondays (every n-th, at most about
    8 ticks) labelled "31 Aug", so weekly bars line up with them. Otherwise the automatic locator.
    """
    if mondays is not None:
        weekly = mdates.WeekdayLocator(byweekday=mdates.MO, interval=max(1, -(-mondays // 8)))
        ax.xaxis.set_major_locator(weekly)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        return
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
        locator, formats=DATE_FORMATS, zero_formats=DATE_ZERO_FORMATS, offset_formats=DATE_OFFSET_FORMATS))


def fixed_date_ticks(axes: list[Axes], lo: float, hi: float) -> None:
    """Give many panels one x range and the dates :func:`date_axis` would pick, found once.

    The locator and formatter run once here, not in every panel and layout pass: for small
    multiples that search (rrule dates) dominated the drawing time. Labels and the year offset are
    what ConciseDateFormatter gives for the range ``lo .. hi`` (matplotlib date numbers).
    """
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    locator.create_dummy_axis()
    locator.axis.set_view_interval(lo, hi)
    ticks = locator()
    concise = mdates.ConciseDateFormatter(locator, formats=DATE_FORMATS, zero_formats=DATE_ZERO_FORMATS,
                                          offset_formats=DATE_OFFSET_FORMATS)
    labels = concise.format_ticks(ticks)
    for ax in axes:
        ax.set_xlim(lo, hi)
        formatter = mticker.FixedFormatter(labels)
        formatter.set_offset_string(concise.get_offset())
        ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
        ax.xaxis.set_major_formatter(formatter)


def root_figure(ax: Axes) -> Figure:
    """The top-level Figure an Axes is drawn on (also when it sits in a SubFigure)."""
    fig = ax.figure
    while isinstance(fig, SubFigure):
        fig = fig.figure
    return fig


def settle_layout(fig: Figure) -> None:
    """Place the axes where the figure's layout engine (constrained layout) puts them, without drawing.

    What ``fig.draw_without_rendering()`` does before measuring, less the drawing: text extents
    and axes boxes read afterwards are those of the saved figure.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(4, 3), layout="constrained")
    >>> ax = fig.add_subplot()
    >>> _ = ax.set_ylabel("a label that needs room")
    >>> before = ax.get_position().x0
    >>> settle_layout(fig)
    >>> bool(ax.get_position().x0 > before)  # the axes moved right to make room for the label
    True
    """
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)


def fit_labels_right(ax: Axes, texts: list[Any], margin: float = 6.0) -> None:
    """Widen the x range so every text anchored at a data x (e.g. a bar-end label) ends inside the axes.

    One layout pass (:func:`settle_layout`, no drawing) gives the axes width
    ``W`` and each label's width past its anchor ``w`` (pixels, fixed whatever the x range); the
    right limit is then solved for directly: an anchor at ``x`` ends at
    ``W (x - lo) / (hi - lo) + w``, so ``hi = lo + max((x - lo) W / (W - margin - w))``. Keeps
    labels off legends and neighbouring panels without iterating layouts.
    """
    if not texts:
        return
    settle_layout(root_figure(ax))
    box = ax.get_window_extent()
    lo, hi = ax.get_xlim()
    width = box.width
    if width <= 0 or hi == lo:
        return
    need = hi
    for text in texts:
        anchor_x = text.xy[0] if hasattr(text, "xy") else text.get_position()[0]
        x_px = ax.transData.transform((anchor_x, 0))[0]
        if text.get_window_extent().x1 <= box.x1 - 2:
            continue
        past = text.get_window_extent().x1 - x_px
        room = width - margin - past
        if room > 0:
            need = max(need, lo + (anchor_x - lo) * width / room)
    if need > hi:
        ax.set_xlim(lo, need)


def pad_dates(ax: Axes, dates: pd.Series | pd.DatetimeIndex, days: float = 1.0) -> None:
    """Keep a short series readable: at least a week of x range, padded by ``days`` each side."""
    if len(dates) == 0:
        return
    lo, hi = pd.Timestamp(min(dates)), pd.Timestamp(max(dates))
    span = (hi - lo).days
    extra = max(days, (7 - span) / 2)
    ax.set_xlim(lo - pd.Timedelta(days=extra), hi + pd.Timedelta(days=extra))


def empty_panel(ax: Axes, message: str, title: str | None = None) -> Axes:
    """Say in words why there is nothing to draw, instead of an empty or broken chart."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color=GREY,
            fontsize=10, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, y=1.0)
    return ax


def fmt(value: float, digits: int = 1) -> str:
    """A number for a title, or 'n/a'."""
    return "n/a" if value is None or pd.isna(value) else f"{value:.{digits}f}"
