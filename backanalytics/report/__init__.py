"""Reports: per-client and caseload HTML/PDF summaries and CSV/Excel metric exports.

======================================  ==========================================================
function                                does
======================================  ==========================================================
``compute_metrics(log, ...)``           every metric once, for all clients (``content``)
``client_summary(metrics, client)``     a client's report as plain sentences and rows (``content``)
``caseload_rows(metrics)``              the therapist's table, alerts then warnings first
``flags_by_client(metrics)``            flags per client and kind, worst first, with the advice
``key_metrics(metrics, client)``        a client's headline numbers, each explained and cited
                                        (``glossary``)
``render_client_html / _caseload_html`` self-contained HTML pages (``html``)
``pdf_bytes(html) / write_pdf``         the same page as a PDF, WeasyPrint (``pdf``)
``export_metrics / write_exports``      CSV and Excel metric tables, formula-safe (``export``)
``write_caseload_table``                the caseload table as CSV and Excel (``export``)
``anonymize_log / pseudonym``           HMAC-SHA256 pseudonyms, notes dropped (``anonymize``)
``build_reports(log, out_dir, ...)``    what ``backanalytics report`` writes (``batch``)
======================================  ==========================================================

Submodules are imported on first use, so ``backanalytics.report.safety`` stays cheap to import.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Metrics": "content", "compute_metrics": "content", "client_summary": "content", "caseload_rows": "content",
    "flags_by_client": "content", "key_metrics": "glossary", "METRIC_GLOSSARY": "glossary",
    "render_client_html": "html", "render_caseload_html": "html",
    "pdf_bytes": "pdf", "write_pdf": "pdf",
    "export_tables": "export", "write_exports": "export", "export_metrics": "export",
    "write_caseload_table": "export",
    "anonymize_log": "anonymize", "pseudonym": "anonymize",
    "build_reports": "batch", "write_client_reports": "batch", "write_caseload_report": "batch",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"backanalytics.report.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'backanalytics.report' has no attribute {name!r}")
