"""Self-contained HTML reports: one per client, and one for the caseload.

Rendered with Jinja2 with autoescaping on for every template, so client ids and notes (untrusted
text) always appear as text: ``<script>`` becomes ``&lt;script&gt;``. The page carries its CSS
inline and its charts as ``data:`` PNGs, sets a Content-Security-Policy that allows nothing but
inline styles and ``data:`` images, and contains no ``http(s)://`` URL, so it opens offline and
makes no network request.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

import jinja2
import pandas as pd

from backanalytics.metrics.function import mcid_report_card
from backanalytics.report.changes import pain_display
from backanalytics.report.content import Metrics, caseload_rows, client_summary
from backanalytics.report.figures import EmbeddedFigure, caseload_figures, client_figures
from backanalytics.report.function_words import caseload_function_text, report_card_lines
from backanalytics.report.words import day, num, pct

STATUS = {"alert": "Alert", "warning": "Warning", "none": "OK"}


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment: package templates, autoescape always on, undefined is an error."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("backanalytics.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _version() -> str:
    from backanalytics import __version__

    return __version__


def _stamp(generated: datetime | None) -> str:
    return (generated or datetime.now()).strftime("%d %b %Y, %H:%M")


def render_client_html(metrics: Metrics, client: str, *, notes: bool = True, source: str | None = None,
                       generated: datetime | None = None,
                       figures: Sequence[EmbeddedFigure] | None = None,
                       prescription: float | pd.DataFrame | None = None, pool: Executor | None = None) -> str:
    """One client's report as a self-contained HTML page.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    client
        The client id (the pseudonym when anonymising).
    notes
        Show the client's recent notes (False when anonymising).
    source
        Name of the input file, shown in the header (leave None when anonymising).
    generated
        Time stamp shown on the report (default: now).
    figures
        Precomputed charts (default: :func:`backanalytics.report.figures.client_figures`).
    prescription
        Passed to the charts that need it.
    pool
        A worker process that draws part of the charts (see
        :func:`backanalytics.report.figures.client_figures`).

    Returns
    -------
    str
        The HTML document.
    """
    summary = client_summary(metrics, client, notes=notes)
    figs = list(figures) if figures is not None else client_figures(metrics, client, prescription, pool=pool)
    return environment().get_template("client.html").render(
        s=summary, figures=figs, version=_version(), generated=_stamp(generated), source=source,
        phase_date=day(metrics.phase_date) if metrics.phase_date is not None else None)


def caseload_display(rows: pd.DataFrame, links: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The caseload table formatted for display (text cells; the template escapes them)."""
    out = []
    for r in rows.to_dict("records"):
        unit = "d" if r["streak_unit"] == "days" else "wk"
        pain = pain_display(pd.Series(r))
        mcid = r["pain_mcid_reached"]
        out.append({
            "client_id": str(r["client_id"]), "href": (links or {}).get(str(r["client_id"])),
            "severity": r["severity"], "status": STATUS[r["severity"]], "concerns": r["concerns"] or "none",
            "adherence": pct(r["adherence"]) if pd.notna(r["adherence"]) else "",
            "adherence_28d": pct(r["adherence_28d"]) if pd.notna(r["adherence_28d"]) else "",
            "streak": f"{int(r['current_streak'])} {unit}",
            "habit": num(100 * r["habit_strength"], 0) if pd.notna(r["habit_strength"]) else "",
            "pain": f"{pain[0].baseline} → {pain[0].current}" if pain else "no scores",
            "change": pain[1] if pain else "",
            "mcid": "" if pd.isna(mcid) else ("yes" if bool(mcid) else "not yet"),
            "function": caseload_function_text(r),
            "last": "" if pd.isna(r["days_since_last"]) else (
                "today" if r["days_since_last"] == 0 else f"{int(r['days_since_last'])} d ago"),
        })
    return out


def render_caseload_html(metrics: Metrics, *, links: Mapping[str, str] | None = None, source: str | None = None,
                         generated: datetime | None = None, recent_days: int = 14,
                         figures: Sequence[EmbeddedFigure] | None = None,
                         prescription: float | pd.DataFrame | None = None) -> str:
    """The caseload report: per-client table (alerts first, then warnings) and the overview chart.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    links
        client id -> relative file name of that client's report, to link from the table.
    source, generated
        As for :func:`render_client_html`.
    recent_days
        Flags dated in this many days before the analysis date set a client's status.
    figures
        Precomputed charts (default: :func:`backanalytics.report.figures.caseload_figures`).
    prescription
        Passed to the overview chart.

    Returns
    -------
    str
        The HTML document.
    """
    table = caseload_rows(metrics, recent_days=recent_days)
    rows = caseload_display(table, links)
    figs = list(figures) if figures is not None else caseload_figures(metrics, prescription)
    return environment().get_template("caseload.html").render(
        rows=rows, figures=figs, version=_version(), generated=_stamp(generated), source=source,
        as_of=day(metrics.as_of), recent_days=recent_days, show_function=metrics.function is not None,
        card=report_card_lines(mcid_report_card(metrics.function)) if metrics.function is not None else [],
        n_alert=int((table["severity"] == "alert").sum()), n_warning=int((table["severity"] == "warning").sum()))
