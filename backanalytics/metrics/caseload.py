"""Every client's consistency, outcomes and flags at once, the three computed side by side.

The three share nothing but the (read-only) log until the last step of the flags, so they run
in parallel threads: most of their time is spent in numpy, pandas and Arrow kernels that release
the GIL, and on a 2-core machine the whole takes about two thirds of the time of the three calls
one after another (``make bench`` prints both). The results are exactly those of
:func:`~backanalytics.consistency`, :func:`~backanalytics.outcomes` and :func:`~backanalytics.flags`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from backanalytics.metrics.consistency import consistency
from backanalytics.metrics.flags import LogFlags
from backanalytics.metrics.function import assessment_outcomes
from backanalytics.metrics.outcomes import outcomes
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.thresholds import THRESHOLDS


@dataclass(frozen=True)
class CaseloadMetrics:
    """The three per-client tables (see :func:`caseload_metrics`)."""

    consistency: pd.DataFrame
    outcomes: pd.DataFrame
    flags: pd.DataFrame
    #: :func:`~backanalytics.assessment_outcomes` when assessments were given (else None).
    function: pd.DataFrame | None = None


def caseload_metrics(log: pd.DataFrame, as_of: object | None = None,
                     prescription: float | pd.DataFrame | None = None, baseline: object = None,
                     thresholds: Mapping[str, float] | None = None, *, threads: int | None = None,
                     assessments: pd.DataFrame | None = None) -> CaseloadMetrics:
    """:func:`consistency`, :func:`outcomes` and :func:`flags` of every client, in parallel threads.

    Parameters
    ----------
    log
        The canonical log.
    as_of
        Analysis date (default: the latest date in the log); later entries are ignored.
    prescription
        Sessions per week, or a prescription table (as for :func:`consistency`).
    baseline
        The outcome baseline (as for :func:`outcomes`). The no-improvement flag always judges the
        change from the default baseline (the first 7 days), as :func:`flags` does.
    thresholds
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS`.
    threads
        Threads to use (default: up to 3, no more than the machine's cores); 1 computes the three
        one after another in this thread.
    assessments
        The scores table of :func:`~backanalytics.load_assessments`: then ``function`` holds
        :func:`~backanalytics.assessment_outcomes` at the same ``as_of`` (``thresholds`` apply).

    Returns
    -------
    CaseloadMetrics
        ``consistency``, ``outcomes`` and ``flags``, equal to the three functions' results.

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=6)
    >>> log = pd.DataFrame({"client_id": "a", "date": days, "stretch": "Cobra Stretch",
    ...     "pain": [3.0, 3, 3, 3, 6, 3], "pain_after": float("nan"), "flexibility": float("nan"),
    ...     "reach_cm": float("nan"), "planned_rest": False, "hold_s": 20.0, "reps": 3})
    >>> m = caseload_metrics(log, prescription=7)
    >>> float(m.consistency.loc["a", "adherence"]), m.flags["flag"].tolist()
    (1.0, ['pain_flare'])
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    as_of = resolve_as_of(log, as_of)
    threads = threads if threads is not None else min(3, os.cpu_count() or 1)

    def run_consistency() -> pd.DataFrame:
        return consistency(log, prescription=prescription, as_of=as_of)

    def run_outcomes(base: object) -> pd.DataFrame:
        return outcomes(log, as_of=as_of, baseline=base, thresholds=t)

    if threads <= 1:
        cons, out, found = run_consistency(), run_outcomes(baseline), LogFlags.of(log, as_of, t)
        default = out if baseline is None else run_outcomes(None)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            cons_f, out_f = pool.submit(run_consistency), pool.submit(run_outcomes, baseline)
            default_f = out_f if baseline is None else pool.submit(run_outcomes, None)
            found = LogFlags.of(log, as_of, t)
            cons, out, default = cons_f.result(), out_f.result(), default_f.result()
    function = None if assessments is None else assessment_outcomes(assessments, as_of=as_of, thresholds=thresholds)
    return CaseloadMetrics(cons, out, found.with_tables(cons, default), function)
