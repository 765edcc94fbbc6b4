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


def write_template(spec: TemplateSpec, out: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Write ``OUT.xlsx`` and ``OUT.pdf`` (each through a temporary name, so never half-written).

    Returns the two paths. An existing ``OUT.xlsx`` may be a log already filled in: unless
    ``overwrite``, it raises FileExistsError and nothing is written. The PDF needs the ``report``
    extra (WeasyPrint): without it the workbook is written and
    :class:`backanalytics.report.pdf.PdfUnavailableError` raised.

    Examples
    --------
    >>> import tempfile
    >>> spec = make_spec(["anna"], "Cat-Cow,Cobra", weeks=1, start="2026-01-05")
    >>> [p.name for p in write_template(spec, Path(tempfile.mkdtemp()) / "anna")]
    ['anna.xlsx', 'anna.pdf']
    """
    from backanalytics.report.safety import atomic_path

    paths = template_paths(out)
    if paths[0].exists() and not overwrite:
        raise FileExistsError(f"{paths[0]} exists and may hold a filled-in log: choose another name, or move "
                              "it away first (nothing was written)")
    for path, write in zip(paths, (write_workbook, write_paper), strict=True):
        with atomic_path(path) as tmp:
            write(spec, tmp)
    return paths


__all__ = ["TemplateError", "TemplateSpec", "make_spec", "paper_html", "read_programme", "template_paths",
           "write_paper", "write_template", "write_workbook"]
