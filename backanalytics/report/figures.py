"""Charts for reports, embedded as base64 PNG ``data:`` URIs so a report needs no other file.

PNG (not SVG) keeps the HTML free of any ``http://`` namespace or metadata URL and renders the
same in a browser and in WeasyPrint; the ``Software`` metadata matplotlib would write is dropped.
Figures are created with :class:`matplotlib.figure.Figure` directly (no pyplot state), so a batch
over hundreds of clients does not accumulate open figures.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine

from backanalytics import columns as C
from backanalytics.report.content import Metrics

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
    """Render a figure to a ``data:image/png;base64,...`` URI (no metadata)."""
    buf = io.BytesIO()
    engine = fig.get_layout_engine()
    if dpi == fig.dpi and engine is not None:
        # One layout pass and one drawing: ``savefig`` would lay the figure out and draw it once
        # without rendering before measuring its tight box, then draw it again. The layout is
        # settled here and the tight box measured from it (what ``bbox_inches="tight"`` measures).
        engine.execute(fig)
        fig.set_layout_engine(None)
        bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(mpl.rcParams["savefig.pad_inches"])
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=bbox, facecolor="white", metadata={"Software": None})
    else:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                    metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def new_figure(size: tuple[float, float], layout: str = "tight") -> Figure:
    """A figure with an Agg canvas, outside pyplot's figure registry.

    Created at the PNG's resolution: the layout passes a chart makes before saving (label fitting)
    then measure text at the size it is saved at, and matplotlib's text-size cache serves both.
    The layout is matplotlib's tight layout: the margins are computed from each axes' labels,
    title and legend measured once (constrained layout measures them twice per pass and solves a
    constraint system: it took a third of a report chart's time). Figures made of subfigures
    (the caseload overview) need ``layout="constrained"``.
    """
    engine = TightLayoutEngine(pad=TIGHT_PAD) if layout == "tight" else layout
    fig = Figure(figsize=size, layout=engine, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _axes_figure(draw: Callable[..., object], size: tuple[float, float]) -> Figure:
    fig = new_figure(size)
    draw(ax=fig.add_subplot())
    return fig


def _embed(key: str, title: str, caption: str, fig: Figure) -> EmbeddedFigure:
    return EmbeddedFigure(key=key, title=title, caption=caption, src=to_data_uri(fig), alt=f"Chart: {title}. {caption}")


#: Chart width in inches: about the 180 mm text width of an A4 portrait page, so the PDF prints
#: charts near their true size (labels of 8-9 points stay 7-8 points).
WIDTH = 8.0
#: The caseload report is A4 landscape (273 mm of text width).
WIDE = 10.5
#: Small multiples per caseload chart page (rows of :data:`CASELOAD_COLUMNS`).
CASELOAD_PAGE = 12
CASELOAD_COLUMNS = 4


def client_figures(metrics: Metrics, client: str, prescription: float | object = None) -> list[EmbeddedFigure]:
    """The charts of one client's report, in report order.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    client
        The client id (already pseudonymised when anonymising).
    prescription
        Passed to the weekly chart when it has to compute its own table.

    Returns
    -------
    list of EmbeddedFigure
        Progress, weekly sessions, calendar, before/after sessions, stretch mix, and the A/B phase
        chart when the client has a baseline phase.
    """
    from backanalytics import plots
    from backanalytics.report.words import phase_words

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
         lambda: _axes_figure(lambda ax: plots.calendar_heatmap(log, client, ax=ax, as_of=as_of), (WIDTH, 2.5))),
        ("relief", "Pain before and after each session",
         "Green with a downward triangle: pain eased during the session; orange with an upward "
         "triangle: pain rose (stretching should not hurt).",
         lambda: _axes_figure(lambda ax: plots.relief_chart(log, client, ax=ax), (WIDTH, 3.0))),
        ("mix", "Your stretches and the body areas they reach",
         "How often each stretch was done, and how often within the dose guidance.",
         lambda: plots.stretch_mix_chart(log, client, fig=new_figure((WIDTH, max(3.0, 0.3 * n_stretches + 1.6))))),
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
    figs += function_figures(metrics, client)
    out = []
    for key, title, caption, make in figs:
        out.append(_embed(key, title, caption, make()))
    return out


def function_figures(metrics: Metrics, client: str) -> list[tuple[str, str, str, Callable[[], Figure]]]:
    """One chart per questionnaire the client filled in (ODI, RMDQ, PSFS), with its MCID band."""
    from backanalytics.plots.function import function_chart

    scores = metrics.assessments
    if scores is None:
        return []
    mine = scores[scores[C.CLIENT_ID] == client]
    return [(f"function-{inst.lower()}", f"{inst} over time",
             "Each dot is a questionnaire; outside the shaded band (the first score ± the MCID) the change "
             "is clinically important.",
             lambda inst=inst: _axes_figure(lambda ax: function_chart(mine, client, inst, ax=ax), (WIDTH, 2.8)))
            for inst in ("ODI", "RMDQ", "PSFS") if (mine["instrument"] == inst).any()]


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
