"""A log people fill in: the Excel workbook and the paper sheet, and the programme read back.

``backanalytics template OUT`` writes ``OUT.xlsx`` (:mod:`.workbook`) and ``OUT.pdf``
(:mod:`.paper`); :func:`read_programme` turns the workbook's programme sheet into the
prescription table the consistency metrics take.
"""

from __future__ import annotations

from pathlib import Path

from backanalytics.template.paper import paper_html, write_paper
from backanalytics.template.programme import TemplateError, TemplateSpec, make_spec, read_programme
from backanalytics.template.workbook import write_workbook


def template_paths(out: str | Path) -> tuple[Path, Path]:
    """``OUT`` -> (``OUT.xlsx``, ``OUT.pdf``); a ``.xlsx`` or ``.pdf`` suffix on OUT is dropped first.

    Examples
    --------
    >>> [p.name for p in template_paths("logs/anna.xlsx")]
    ['anna.xlsx', 'anna.pdf']
    """
    out = Path(out)
    if out.suffix.lower() in {".xlsx", ".pdf"}:
        out = out.with_suffix("")
    return out.with_name(out.name + ".xlsx"), out.with_name(out.name + ".pdf")


__all__ = ["TemplateError", "TemplateSpec", "make_spec", "paper_html", "read_programme", "template_paths",
           "write_paper", "write_workbook"]
