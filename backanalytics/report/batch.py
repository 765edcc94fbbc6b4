"""Write reports to a folder: one client, every client (with a progress bar), the caseload, exports.

Every file goes through :func:`backanalytics.report.safety.atomic_path` (written beside its target
and renamed into place only when complete), so an interrupted run never leaves a half-written
report; and every file name built from a client id goes through ``safe_filename`` + ``inside``,
so an id such as ``../../etc/x`` cannot write outside the output folder.

Layout of the output folder::

    caseload.html / caseload.pdf           the therapist's overview (all clients)
    client_<id>.html / client_<id>.pdf     one report per client
    metrics.xlsx, metrics_<table>.csv      metric tables (clients, weekly, flags, dose, effect sizes)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from backanalytics import columns as C
from backanalytics.interrupt import starting_workers, stop_pool_on_interrupt
from backanalytics.metrics.log_arrays import among
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.report.anonymize import anonymize_log, anonymize_prescription, pseudonym
from backanalytics.report.content import Metrics, compute_metrics
from backanalytics.report.export import write_exports
from backanalytics.report.html import render_caseload_html, render_client_html
from backanalytics.report.lock import folder_lock
from backanalytics.report.pdf import pdf_bytes, write_pdf
from backanalytics.report.safety import atomic_path, inside, safe_filename

FORMATS = ("html", "pdf")
CASELOAD_NAME = "caseload"


@dataclass
class ReportResult:
    """What a run wrote, by kind (paths inside the output folder)."""

    clients: list[Path] = field(default_factory=list)
    caseload: list[Path] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every file written."""
        return [*self.caseload, *self.clients, *self.exports]


def client_file_name(client: str, fmt: str) -> str:
    """``client_<safe id>.<fmt>``: never a path, never clashes with ``caseload.*`` or exports."""
    return "client_" + safe_filename(client, f".{fmt}")


def write_document(html: str, path: Path, fmt: str, pool: Executor | None = None) -> Path:
    """Write one report as HTML or PDF, atomically; returns the path.

    With ``pool`` (one client's chart worker, started with ``pdf=True``), the worker renders the
    PDF and this process writes it.
    """
    with atomic_path(path) as tmp:
        if fmt == "html":
            tmp.write_text(html, encoding="utf-8")
        elif fmt == "pdf" and pool is not None:
            tmp.write_bytes(pool.submit(pdf_bytes, html).result())
        elif fmt == "pdf":
            write_pdf(html, tmp)
        else:
            raise ValueError(f"unknown report format {fmt!r}; use html or pdf")
    return path


def _write_one_client(metrics: Metrics, client: str, out_dir: Path, formats: Sequence[str],
                      options: dict[str, object], chart_pool: Executor | None = None) -> list[Path]:
    html = render_client_html(metrics, client, pool=chart_pool, **options)
    return [write_document(html, inside(out_dir, client_file_name(client, fmt)), fmt, chart_pool) for fmt in formats]


_WORKER: dict[str, object] = {}


def _init_worker(setup: str) -> None:
    """A report worker: what it renders with (metrics, folder, formats, options) is read from the
    file ``setup`` (see :func:`_write_setup`).

    Not as the initializer's arguments: those are written into each new process's pipe before it
    runs, and a pipe holds 64 KiB, so the parent waited for every worker in turn to import pandas
    and read its copy of the metrics before it could start the next one or its own share of the
    work (about 2 s with two workers: one core idle). Nor through a queue: a worker that the parent
    never sent a copy to (the parent died, or could not start every worker) would wait for good.
    A file is there for every worker that starts, whenever it starts.
    """
    from backanalytics import quick_exit

    quick_exit.in_worker()
    import matplotlib

    matplotlib.use("Agg")
    with open(setup, "rb") as file:
        _WORKER.update(pickle.load(file))
    quick_exit.freeze_long_lived()  # the modules and the metrics: kept to the end


#: The workers' setup files (:func:`_write_setup`) start with this name.
SETUP_PREFIX = ".backanalytics-workers-"


def _write_setup(out_dir: Path, setup: dict[str, object]) -> Path:
    """Pickle what the workers render with into a hidden file of the report folder (readable by
    this user only; deleted when the reports are written). Kept beside the reports, which hold
    the same data, rather than in a shared temporary folder, should the command be killed: then
    the next :func:`build_reports` into the folder removes it."""
    fd, name = tempfile.mkstemp(prefix=SETUP_PREFIX, suffix=".pickle", dir=out_dir)
    with os.fdopen(fd, "wb") as file:
        pickle.dump(setup, file, protocol=pickle.HIGHEST_PROTOCOL)
    return Path(name)


class WorkerStartError(RuntimeError):
    """The operating system refused to start a report worker process (too many processes or open
    files); ``--jobs 1`` writes the reports in the command's own process."""


def _worker_client(client: str) -> list[Path]:
    w = _WORKER
    return _write_one_client(w["metrics"], client, w["out_dir"], w["formats"], w["options"])  # type: ignore[arg-type]


def default_jobs(n_clients: int) -> int:
    """Worker processes for a batch: one per 3 clients, at most the CPUs and at most 4."""
    return max(1, min(os.cpu_count() or 1, 4, n_clients // 3))


def write_client_reports(metrics: Metrics, out_dir: Path, clients: Iterable[str] | None = None,
                         formats: Sequence[str] = FORMATS, *, notes: bool = True, source: str | None = None,
                         generated: datetime | None = None, prescription: float | pd.DataFrame | None = None,
                         progress: bool | None = None, jobs: int = 1,
                         meanwhile: Callable[[], object] | None = None,
                         chart_pool: Executor | None = None) -> list[Path]:
    """One report per client, each as HTML and/or PDF, with a progress bar on stderr.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    out_dir
        The output folder (created when missing).
    clients
        Which clients (default: all in ``metrics``).
    formats
        ``"html"`` and/or ``"pdf"``.
    notes, source, generated, prescription
        Passed to :func:`backanalytics.report.html.render_client_html`.
    progress
        Show the tqdm bar: True always, False never, None (default) only on a terminal.
    jobs
        Worker processes (charts and PDFs are CPU-bound); 1 renders in this process.
    meanwhile
        Work for this process while the workers render (e.g. the caseload report), instead of
        waiting idle; run after the client reports when ``jobs`` is 1.
    chart_pool
        With ``jobs`` 1: a worker that draws part of each client's charts
        (:func:`backanalytics.report.chart_worker.start_chart_worker`).

    Returns
    -------
    list of Path
        The files written, in client order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = list(metrics.clients if clients is None else clients)
    options: dict[str, object] = {"notes": notes, "source": source, "generated": generated,
                                  "prescription": prescription}
    bar = tqdm(total=len(chosen), desc="client reports", unit="client", file=sys.stderr,
               disable=None if progress is None else not progress, leave=False)
    paths: list[Path] = []
    with bar:
        if jobs <= 1 or len(chosen) < 2:
            for client in chosen:
                paths += _write_one_client(metrics, client, out_dir, formats, options, chart_pool)
                bar.update()
            if meanwhile is not None:
                meanwhile()
        else:
            # spawn, not fork: a forked child could inherit a lock held by another thread.
            ctx = multiprocessing.get_context("spawn")
            workers = min(jobs, len(chosen))
            setup = _write_setup(out_dir, {"metrics": metrics, "out_dir": out_dir, "formats": tuple(formats),
                                           "options": options})
            try:
                with starting_workers():  # a whole pool (see chart_worker.start_chart_worker), or none
                    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                               initargs=(str(setup),))
                with pool, stop_pool_on_interrupt(pool):
                    with starting_workers():  # the workers start here; Ctrl-C is the parent's to handle
                        try:
                            written_by_client = pool.map(_worker_client, chosen)  # submits every client now
                        except OSError as exc:  # the workers started so far finish their client and stop
                            raise WorkerStartError(
                                f"could not start {workers} worker processes ({exc.strerror or exc}); "
                                "--jobs 1 writes the reports in this process") from exc
                    if meanwhile is not None:
                        meanwhile()
                    for written in written_by_client:
                        paths += written
                        bar.update()
            finally:  # every worker has stopped: the pool waited for them
                setup.unlink(missing_ok=True)
    return paths


def write_caseload_report(metrics: Metrics, out_dir: Path, formats: Sequence[str] = FORMATS, *,
                          source: str | None = None, generated: datetime | None = None,
                          prescription: float | pd.DataFrame | None = None, link_clients: bool = True
                          ) -> list[Path]:
    """The caseload report as HTML and/or PDF (``caseload.html`` / ``caseload.pdf``).

    With ``link_clients`` each client in the table links to ``client_<id>.html`` beside it.
    """
    out_dir = Path(out_dir)
    links = {c: client_file_name(c, "html") for c in metrics.clients} if link_clients else None
    html = render_caseload_html(metrics, links=links, source=source, generated=generated,
                                prescription=prescription)
    return [write_document(html, inside(out_dir, f"{CASELOAD_NAME}.{fmt}"), fmt) for fmt in formats]


def build_reports(log: pd.DataFrame, out_dir: Path, *, clients: Sequence[str] | None = None,
                  formats: Sequence[str] = FORMATS, caseload: bool | None = None,
                  exports: Sequence[str] = (), prescription: float | pd.DataFrame | None = None,
                  as_of: object | None = None, phase_date: object | None = None,
                  secret: str | None = None, source: str | None = None,
                  generated: datetime | None = None, progress: bool | None = None,
                  jobs: int | None = 1, assessments: pd.DataFrame | None = None,
                  chart_pool: Executor | None = None) -> ReportResult:
    """Everything the ``report`` command writes, from a validated log.

    Parameters
    ----------
    log
        The canonical log (:func:`backanalytics.load_log`).
    out_dir
        The output folder.
    clients
        Report these clients only (default: every client).
    formats
        ``"html"`` and/or ``"pdf"``.
    caseload
        Write the caseload report (default: when reporting every client).
    exports
        ``"csv"`` and/or ``"xlsx"``: metric tables of the reported clients.
    prescription, as_of, phase_date
        Passed to :func:`backanalytics.report.content.compute_metrics`.
    secret
        Anonymise: client ids become HMAC-SHA256 pseudonyms keyed with this secret (in the log and
        in a prescription table), notes are dropped and stretch names not in the catalog become
        ``other stretch N``; the source file name is not shown. The mapping is not written anywhere.
    source
        The input file name shown in report headers (ignored when anonymising).
    generated
        Time stamp shown on the reports (default: now).
    progress
        Progress bar for client reports (None: only on a terminal).
    jobs
        Worker processes for the client reports (None: :func:`default_jobs`).
    assessments
        The scores table (:func:`backanalytics.load_assessments`): adds the function section,
        charts, caseload columns and the ``assessments`` / ``function`` export tables.
    chart_pool
        Passed to :func:`write_client_reports` (used when the client reports are written in
        this process).

    Returns
    -------
    ReportResult

    Raises
    ------
    backanalytics.report.lock.FolderBusyError
        Another run is writing into ``out_dir`` (nothing was written).
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report format(s) {sorted(unknown)}; use html and/or pdf")
    missing = sorted(set(clients or ()) - set(log[C.CLIENT_ID].astype(str)))
    if missing:
        raise KeyError(f"no client {missing[0]!r} in the log")
    # The analysis date comes from the whole log, before any client is picked: a report for one
    # client must say what the caseload report says of them (a client who went quiet is "silent"
    # up to the last date anyone logged, not up to their own last entry).
    as_of = resolve_as_of(log, as_of)
    if secret is not None:
        # The prescription is keyed by client id and names stretches: key it like the log.
        prescription = anonymize_prescription(prescription, log, secret)
        log = anonymize_log(log, secret)
        if assessments is not None:
            assessments = assessments.assign(**{C.CLIENT_ID: assessments[C.CLIENT_ID].map(
                lambda c: pseudonym(c, secret)), "activities": None})
        clients = None if clients is None else [pseudonym(c, secret) for c in clients]
        source = None
    if clients is not None:
        log = log[among(log[C.CLIENT_ID], clients)]
    out_dir = Path(out_dir)
    with folder_lock(out_dir):  # one run per folder: another run's files would mix with ours
        for killed in out_dir.glob(f"{SETUP_PREFIX}*.pickle"):  # left by a run that was killed
            killed.unlink(missing_ok=True)
        metrics = compute_metrics(log, prescription=prescription, as_of=as_of, phase_date=phase_date,
                                  assessments=assessments)
        generated = generated or datetime.now()
        result = ReportResult()

        def write_caseload() -> None:
            result.caseload = write_caseload_report(metrics, out_dir, formats, source=source, generated=generated,
                                                    prescription=prescription, link_clients="html" in formats)

        # The metrics above are computed once and shared: every client's report (in worker processes)
        # and the caseload report (in this process, while the workers render) read the same tables.
        wanted = caseload if caseload is not None else clients is None
        result.clients = write_client_reports(metrics, out_dir, clients, formats, notes=secret is None, source=source,
                                              generated=generated, prescription=prescription, progress=progress,
                                              jobs=default_jobs(len(metrics.clients)) if jobs is None else jobs,
                                              meanwhile=write_caseload if wanted else None,
                                              chart_pool=chart_pool)
        if exports:  # last: a run that has written them went to the end
            result.exports = write_exports(metrics, out_dir, tuple(exports))
    return result
