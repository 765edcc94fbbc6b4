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

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from backanalytics import columns as C
from backanalytics.report.content import Metrics

DPI = 150


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
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def new_figure(size: tuple[float, float]) -> Figure:
    """A constrained-layout figure with an Agg canvas, outside pyplot's figure registry."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _axes_figure(draw: Callable[..., object], size: tuple[float, float]) -> Figure:
    fig = new_figure(size)
    draw(ax=fig.add_subplot())
    return fig


def _embed(key: str, title: str, caption: str, fig: Figure) -> EmbeddedFigure:
    return EmbeddedFigure(key=key, title=title, caption=caption, src=to_data_uri(fig), alt=f"Chart: {title}. {caption}")


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

    log, as_of = metrics.log, metrics.as_of
    baseline = metrics.phase_date
    figs = [
        ("progress", "Pain and flexibility over time",
         "Dots are daily scores, the line is the 7-day average. Outside the shaded band (the starting "
         "level ± 2 points) the change is clinically important.",
         lambda: plots.progress_chart(log, client, fig=new_figure((9.0, 6.3)),
                                      as_of=as_of, baseline=baseline)),
        ("weekly", "Sessions per week",
         "Bars are the days you stretched each week; the line is the plan.",
         lambda: _axes_figure(lambda ax: plots.weekly_adherence(
             log, client, ax=ax, as_of=as_of, weekly=metrics.weekly, prescription=prescription), (9.0, 3.2))),
        ("calendar", "Calendar",
         "Each square is a day; darker means more minutes of stretching.",
         lambda: _axes_figure(lambda ax: plots.calendar_heatmap(log, client, ax=ax, as_of=as_of), (9.0, 2.6))),
        ("relief", "Pain before and after each session",
         "Green: pain eased during the session; red: pain rose (stretching should not hurt).",
         lambda: _axes_figure(lambda ax: plots.relief_chart(log, client, ax=ax), (9.0, 3.2))),
        ("mix", "Your stretches and the body areas they reach",
         "How often each stretch was done, and how often within the dose guidance.",
         lambda: plots.stretch_mix_chart(log, client, fig=new_figure((11.0, 3.8)))),
    ]
    client_effects = metrics.effects[metrics.effects[C.CLIENT_ID] == client]
    if not client_effects.empty:
        figs.append(("phases", "Before and after you started stretching",
                     "Hollow dots: baseline days before stretching; filled dots: days since. Dashed lines are "
                     "the averages of each phase.",
                     lambda: _axes_figure(lambda ax: plots.phase_chart(
                         log, client, ax=ax, phase_date=metrics.phase_date, effects=client_effects), (9.0, 3.4))))
    out = []
    for key, title, caption, make in figs:
        out.append(_embed(key, title, caption, make()))
    return out


def caseload_figure(metrics: Metrics, prescription: float | object = None) -> EmbeddedFigure:
    """The caseload overview chart (adherence vs pain change, and every client's pain trend)."""
    from backanalytics import plots

    rows = max(1, math.ceil(len(metrics.clients) / 3))
    fig = new_figure((19.0, max(6.0, 2.3 * rows + 1.0)))
    plots.caseload_chart(metrics.log, fig=fig, as_of=metrics.as_of, prescription=prescription)
    return _embed("caseload", "Caseload overview",
                  "Left: each client's adherence against their change in pain (the dashed lines mark 80 % "
                  "adherence and a clinically important 2-point improvement). Right: each client's daily "
                  "pain, most in need first.", fig)
