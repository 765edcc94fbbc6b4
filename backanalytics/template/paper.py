"""The fill-in log on paper: HTML rendered to PDF with WeasyPrint, like the reports.

One landscape page per week (per client): a row per day, a box per prescribed stretch with the
catalog's hold / reps hint in its column header, pain before / after and notes columns, and the
guide's safety rules at the foot of every page. Client ids are autoescaped (Jinja2).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import jinja2

from backanalytics import catalog
from backanalytics.template.programme import GUIDE_RULES, SAFETY_RULES, TemplateSpec, dose_hint

#: CSS page size per ``--paper`` (landscape: a column per stretch needs the width).
PAGE_SIZES = {"a4": "A4 landscape", "letter": "letter landscape"}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("backanalytics.template", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def _span(first: dt.date, last: dt.date) -> str:
    left = f"{first:%a} {first.day} {first:%b}" + ("" if first.year == last.year else f" {first.year}")
    return f"{left} – {last:%a} {last.day} {last:%b %Y}"


def paper_html(spec: TemplateSpec) -> str:
    """The paper log as one HTML document (a page per client and week).

    Examples
    --------
    >>> from backanalytics.template import make_spec
    >>> html = paper_html(make_spec(["<i>anna"], "Cobra", weeks=1, start="2026-01-05"))
    >>> "Mon 5 Jan – Sun 11 Jan 2026" in html, "&lt;i&gt;anna" in html, "<i>anna" in html
    (True, True, False)
    """
    stretches = [{"name": name, "hint": dose_hint(name),
                  "write": "s × reps" if catalog.DOSE_GUIDANCE[catalog.kind_of(name) or catalog.STATIC]["hold_min"]
                  else "reps"} for name in spec.stretches]
    pages = []
    for client in spec.clients or (None,):
        for week in range(spec.weeks):
            first = spec.start + dt.timedelta(days=7 * week)
            days = [first + dt.timedelta(days=i) for i in range(7)]
            pages.append({"client": client, "week": week + 1, "span": _span(days[0], days[-1]),
                          "days": [(f"{d:%a}", f"{d.day} {d:%b}") for d in days]})
    rules = dict(GUIDE_RULES)
    return _environment().get_template("paper.html").render(
        pages=pages, stretches=stretches, weeks=spec.weeks, page_size=PAGE_SIZES[spec.paper],
        sessions_per_week=f"{spec.sessions_per_week:g}", safety=[(t, rules[t]) for t in SAFETY_RULES])


def write_paper(spec: TemplateSpec, path: str | Path) -> None:
    """Render the paper log to a PDF (needs the ``report`` extra: WeasyPrint).

    Raises
    ------
    backanalytics.report.pdf.PdfUnavailableError
        When WeasyPrint is not installed.
    """
    from backanalytics.report.pdf import pdf_bytes

    Path(path).write_bytes(pdf_bytes(paper_html(spec)))
