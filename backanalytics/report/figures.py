"""Charts for reports, embedded as base64 PNG ``data:`` URIs so a report needs no other file.

PNG (not SVG) keeps the HTML free of any ``http://`` namespace or metadata URL and renders the
same in a browser and in WeasyPrint; the ``Software`` metadata matplotlib would write is dropped.
Figures are created with :class:`matplotlib.figure.Figure` directly (no pyplot state), so a batch
over hundreds of clients does not accumulate open figures. matplotlib is imported by the first
figure, not with this module: one client's report reads the log and computes its metrics first,
so that its chart worker can start drawing while this process imports matplotlib.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from backanalytics import columns as C
from backanalytics.report.content import Metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 150
#: Padding of the tight layout, in font sizes: the space between panels and around the figure.
TIGHT_PAD = 0.4


@dataclass(frozen=True)
class EmbeddedFigure:
    """A chart ready for a template: heading, one-sentence caption, alt text and data URI."""

    key: str
    title: str
    caption: str
    src: str
    alt: str


def to_data_uri(fig: Figure, dpi: int = DPI) -> str:
    """Render a figure to a ``data:image/png;base64,...`` URI (no metadata).

    A figure on an Agg canvas at ``dpi`` with tight layout (:func:`new_figure`) or none (charts
    that place their axes themselves) is laid out once and drawn once; its pixels are cropped to
    what is drawn and padded with ``savefig.pad_inches`` of white, as ``bbox_inches="tight"``
    would save them, but found in the pixels instead of by measuring every text again, and
    written as an RGB PNG (:func:`backanalytics.report.png.rgb_png`). When something is drawn up
    to the figure's edge (a title or figure text longer than the figure: the layout does not
    shorten those), the figure takes ``savefig``'s tight save, which grows the PNG to hold it; so
    does any other figure (another resolution, constrained layout).
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import PlaceHolderLayoutEngine, TightLayoutEngine

    from backanalytics.report.png import rgb_png

    engine = fig.get_layout_engine()
    if (dpi == fig.dpi and isinstance(fig.canvas, FigureCanvasAgg)
            and (engine is None or isinstance(engine, (TightLayoutEngine, PlaceHolderLayoutEngine)))):
        if engine is not None:
            engine.execute(fig)
            fig.set_layout_engine(None)
        fig.patch.set_facecolor("white")
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        box = _drawn_box(rgba)
        pad = round(mpl.rcParams["savefig.pad_inches"] * dpi)
        if box is not None and pad >= 0 and not _text_beyond(fig):  # a negative pad crops: savefig's
            top, bottom, left, right = box
            png = rgb_png(rgba[top:bottom, left:right], pad=pad)
            return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _text_beyond(fig: Figure) -> bool:
    """Whether a heading, title or note of ``fig`` (what holds a client id or data in words) runs
    past its edge: the pixels at the edge may be a gap between two words (a title cut after
    "includes no" left the edge white). Tick labels, axis labels and legends are measured and
    placed by the layout; so are texts at data points (bar-end labels: 0.3 ms each to measure)."""
    texts = [*fig.texts]
    for ax in fig.axes:
        at_data = [t for t in ax.texts if t.get_transform() is ax.transData or getattr(t, "xycoords", "") == "data"]
        texts += [ax.title, ax._left_title, ax._right_title, *(t for t in ax.texts if t not in at_data)]
    box = fig.bbox
    for text in texts:
        if text.get_visible() and text.get_text():
            extent = text.get_window_extent()
            if extent.x0 < box.x0 or extent.x1 > box.x1 or extent.y0 < box.y0 or extent.y1 > box.y1:
                return True
    return False


def _drawn_box(rgba: np.ndarray) -> tuple[int, int, int, int] | None:
    """Rows and columns (top, bottom, left, right; end exclusive) of the pixels that are not white.

    None when something touches the image's edge (it may continue past it) or nothing is drawn.

    Examples
    --------
    >>> img = np.full((10, 20, 4), 255, np.uint8)
    >>> img[4:6, 5:9, :3] = 0
    >>> _drawn_box(img)
    (4, 6, 5, 9)
    >>> img[0, 0, 0] = 0
    >>> _drawn_box(img) is None
    True
    """
    # One 32-bit comparison per pixel (opaque white is four 255 bytes) instead of four.
    ink = np.ascontiguousarray(rgba).view(np.uint32)[..., 0] != np.uint32(0xFFFFFFFF)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    height, width = ink.shape
    if not len(rows) or rows[0] == 0 or cols[0] == 0 or rows[-1] == height - 1 or cols[-1] == width - 1:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def new_figure(size: tuple[float, float], layout: str = "tight") -> Figure:
    """A figure with an Agg canvas, outside pyplot's figure registry.

    Created at the PNG's resolution: the layout passes a chart makes before saving (label fitting)
    then measure text at the size it is saved at, and matplotlib's text-size cache serves both.
    The layout is matplotlib's tight layout, in one pass (``rect=None``; the default rectangle
    makes it measure every label twice): the margins are computed from each axes' labels, title
    and legend measured once (constrained layout measures them twice per pass and solves a
    constraint system: it took a third of a report chart's time). The caseload charts turn it
    off and place their axes themselves (:mod:`backanalytics.plots.caseload_layout`). Its canvas
    remembers text drawn by earlier charts (:mod:`backanalytics.report.text_canvas`).
    """
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine

    from backanalytics.report.text_canvas import chart_canvas

    engine = TightLayoutEngine(pad=TIGHT_PAD, rect=None) if layout == "tight" else layout
    fig = Figure(figsize=size, layout=engine, dpi=DPI)
    chart_canvas(fig)
    return fig


def _axes_figure(draw: Callable[..., object], size: tuple[float, float], placed: bool = True) -> Figure:
    """A one-axes chart: ``draw(ax=...)``, then the axes placed from its measured text
    (:func:`backanalytics.plots.placement.place_single`), or by tight layout when not ``placed``
    (the calendar: its colour bar and equal aspect are tight layout's to fit)."""
    from backanalytics.plots.placement import EDGE, fit_titles, place_single

    fig = new_figure(size, layout="tight" if not placed else "none")
    ax = fig.add_subplot()
    draw(ax=ax)
    if placed:
        place_single(fig, ax)
    else:  # a long client id: the title wraps rather than the figure growing to hold it
        fit_titles(ax, fig.bbox.width - 2 * EDGE * fig.dpi / 72)
    return fig


def _embed(key: str, title: str, caption: str, fig: Figure) -> EmbeddedFigure:
    return EmbeddedFigure(key=key, title=title, caption=caption, src=to_data_uri(fig), alt=f"Chart: {title}. {caption}")


#: Chart width in inches: about the 180 mm text width of an A4 portrait page, so the PDF prints
#: charts near their true size (labels of 8-9 points stay 7-8 points).
WIDTH = 8.0
#: The stretch mix: two panels and a legend, whose labels and titles need more than :data:`WIDTH`
#: (drawn on 8 inches they ran past the figure's edge; the PNG is scaled to the page either way).
MIX_WIDTH = 9.8
#: The caseload report is A4 landscape (273 mm of text width).
WIDE = 10.5
#: Small multiples per caseload chart page (rows of :data:`CASELOAD_COLUMNS`).
CASELOAD_PAGE = 12
CASELOAD_COLUMNS = 4


def client_figures(metrics: Metrics, client: str, prescription: float | object = None, *,
                   pool: Executor | None = None) -> list[EmbeddedFigure]:
    """The charts of one client's report, in report order.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    client
        The client id (already pseudonymised when anonymising).
    prescription
        Passed to the weekly chart when it has to compute its own table.
    pool
        A worker process (:func:`backanalytics.report.chart_worker.start_chart_worker`) that
        draws charts while this process does (:func:`backanalytics.report.chart_worker.share_charts`).

    Returns
    -------
    list of EmbeddedFigure
        Progress, weekly sessions, calendar, before/after sessions, stretch mix, and the A/B phase
        chart when the client has a baseline phase.
    """
    charts = _client_charts(metrics, client, prescription)
    if pool is None:
        return [_embed(key, title, caption, make()) for key, title, caption, make in charts]
    from backanalytics.report.chart_worker import share_charts

    made = {key: (title, caption, make) for key, title, caption, make in charts}
    line = sorted(made, key=lambda key: WORKER_ORDER.index(key.split("-")[0]))  # function-odi: function
    done = share_charts(pool, metrics, client, line, prescription,
                        draw_here=lambda key: _embed(key, *made[key][:2], made[key][2]()))
    return [done[key] for key in made]


#: The order of the charts in line when :func:`client_figures` has a worker process: the worker,
#: ready first, takes them from the front, this process from the back; each starts on a long one
#: (the progress chart and the stretch mix take 0.2-0.3 s to draw, the others about 0.1 s), and the
#: two meet on short ones.
WORKER_ORDER = ("progress", "calendar", "phases", "weekly", "relief", "function", "mix")


def render_chart(metrics: Metrics, client: str, key: str, prescription: float | object = None) -> EmbeddedFigure:
    """Only the chart ``key`` of one client's report (what a worker process draws)."""
    for name, title, caption, make in _client_charts(metrics, client, prescription):
        if name == key:
            return _embed(name, title, caption, make())
    raise KeyError(f"client {client!r} has no {key!r} chart")


def _client_charts(metrics: Metrics, client: str,
                   prescription: float | object = None) -> list[tuple[str, str, str, Callable[[], Figure]]]:
    """Key, heading, caption and how to draw each chart of one client's report, in report order.

    Nothing is drawn, and matplotlib is not imported, until a chart's ``make()`` is called.
    """
    from backanalytics.report.words import phase_words

    plots = _Plots()

    log, as_of = metrics.log, metrics.as_of
    baseline = metrics.phase_date
    n_stretches = int((metrics.dose[C.CLIENT_ID] == client).sum())
    figs = [
        ("progress", "Pain and flexibility over time",
         "Dots are daily scores, the line is the 7-day average. Outside the shaded band (the starting "
         "level ± 2 points) the change is clinically important.",
         lambda: plots.progress_chart(log, client, fig=new_figure((WIDTH, 4.6)), as_of=as_of,
                                      baseline=baseline, flags=metrics.flags, outcomes_table=metrics.outcomes)),
        ("weekly", "Sessions per week",
         "Bars are the days you stretched each week; the line is the plan.",
         lambda: _axes_figure(lambda ax: plots.weekly_adherence(
             log, client, ax=ax, as_of=as_of, weekly=metrics.weekly, prescription=prescription), (WIDTH, 3.0))),
        ("calendar", "Calendar",
         "Each square is a day; darker means more minutes of stretching.",
         lambda: _axes_figure(lambda ax: plots.calendar_heatmap(log, client, ax=ax, as_of=as_of), (WIDTH, 2.5),
                              placed=False)),
        ("relief", "Pain before and after each session",
         "Green with a downward triangle: pain eased during the session; orange with an upward "
         "triangle: pain rose (stretching should not hurt).",
         lambda: _axes_figure(lambda ax: plots.relief_chart(log, client, ax=ax), (WIDTH, 3.0))),
        ("mix", "Your stretches and the body areas they reach",
         "How often each stretch was done, and how often within the dose guidance.",
         lambda: plots.stretch_mix_chart(log, client, fig=new_figure((MIX_WIDTH, max(3.0, 0.3 * n_stretches + 1.6))))),
    ]
    client_effects = metrics.effects[metrics.effects[C.CLIENT_ID] == client]
    if not client_effects.empty:
        words = phase_words(metrics.phase_date)
        figs.append(("phases", words["heading"],
                     f"Hollow dots: baseline days {words['before']}; filled dots: days since. Dashed lines are "
                     "the averages of each phase.",
                     lambda: _axes_figure(lambda ax: plots.phase_chart(
                         log, client, ax=ax, phase_date=metrics.phase_date, effects=client_effects),
                         (WIDTH, 3.2))))
    return figs + function_figures(metrics, client)


def function_figures(metrics: Metrics, client: str) -> list[tuple[str, str, str, Callable[[], Figure]]]:
    """One chart per questionnaire the client filled in (ODI, RMDQ, PSFS), with its MCID band."""
    plots = _Plots()
    scores = metrics.assessments
    if scores is None:
        return []
    mine = scores[scores[C.CLIENT_ID] == client]
    return [(f"function-{inst.lower()}", f"{inst} over time",
             "Each dot is a questionnaire; outside the shaded band (the first score ± the MCID) the change "
             "is clinically important.",
             lambda inst=inst: _axes_figure(lambda ax: plots.function_chart(mine, client, inst, ax=ax), (WIDTH, 2.8)))
            for inst in ("ODI", "RMDQ", "PSFS") if (mine["instrument"] == inst).any()]


class _Plots:
    """:mod:`backanalytics.plots` (and matplotlib with it), imported when a chart is first drawn."""

    def __getattr__(self, name: str) -> Callable[..., object]:
        from backanalytics import plots

        return getattr(plots, name)


CASELOAD_CAPTION = ("Left: each client's adherence against their change in pain (the dashed lines mark 80 % "
                    "adherence and a clinically important 2-point improvement). Right: each client's daily "
                    "pain, most in need first.")


def caseload_figures(metrics: Metrics, prescription: float | object = None) -> list[EmbeddedFigure]:
    """The caseload report's charts, each sized to print at its true size on A4 landscape.

    Up to nine clients: one :func:`backanalytics.plots.caseload_chart` (scatter beside the small
    multiples). More: the scatter alone, then the small multiples in pages of
    :data:`CASELOAD_PAGE` (rows of :data:`CASELOAD_COLUMNS`), so no chart is shrunk to fit.
    """
    from backanalytics import plots

    log, as_of = metrics.log, metrics.as_of
    n = len(metrics.clients)
    table = plots.caseload_table(log, as_of, prescription, tables=metrics)  # the report's metrics, not new ones
    # The caseload charts place their axes themselves (from their font sizes) and turn the layout
    # engine off: nothing is measured before drawing.
    if n <= 9:
        fig = new_figure(plots.caseload.caseload_size(n, WIDE))
        plots.caseload_chart(log, fig=fig, as_of=as_of, prescription=prescription, table=table)
        return [_embed("caseload", "Caseload overview", CASELOAD_CAPTION, fig)]
    scatter = new_figure((WIDE, 5.5))
    plots.caseload_scatter(log, ax=plots.caseload.place_scatter(scatter, (0, 0, 1, 1), table), table=table)
    out = [_embed("caseload", "Caseload overview",
                  "Each client's adherence against their change in pain (the dashed lines mark 80 % adherence "
                  "and a clinically important 2-point improvement).", scatter)]
    for start in range(0, n, CASELOAD_PAGE):
        part = table.iloc[start:start + CASELOAD_PAGE]
        rows = math.ceil(len(part) / CASELOAD_COLUMNS)
        fig = new_figure((WIDE, 1.5 * rows + 0.5))
        plots.caseload_trends(log, fig, as_of=as_of, table=part, ncols=CASELOAD_COLUMNS, first_rank=start + 1)
        last = min(start + CASELOAD_PAGE, n)
        out.append(_embed(f"caseload-trends-{start + 1}", f"Pain by client, {start + 1} to {last} of {n}",
                          "Each client's daily pain and 7-day mean, most in need first.", fig))
    return out


def caseload_figure(metrics: Metrics, prescription: float | object = None) -> EmbeddedFigure:
    """The first caseload chart (the overview; see :func:`caseload_figures`)."""
    return caseload_figures(metrics, prescription)[0]
