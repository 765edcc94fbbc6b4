"""backanalytics: turn back-stretching logs into evidence of progress.

The pipeline, one module each: ``io`` (read files) -> ``schema`` (the contract, validation) ->
``metrics`` (consistency, outcomes, flags, effect sizes) -> ``plots`` -> ``report``.
"""

# ruff: noqa: E402
# First: the ``backanalytics`` command handles Ctrl-C from its first import (nothing in other programs).
from backanalytics import interrupt as _interrupt

_interrupt.install_if_command()

from importlib.metadata import PackageNotFoundError, version

from backanalytics.assessments import load_assessments, validate_assessments
from backanalytics.io import LogReadError, read_table
from backanalytics.metrics.association import adherence_bands, adherence_pain_correlation
from backanalytics.metrics.caseload import CaseloadMetrics, caseload_metrics
from backanalytics.metrics.consistency import consistency, weekly_consistency
from backanalytics.metrics.dose import dose_by_stretch
from backanalytics.metrics.effect_sizes import effect_sizes, phase_effect_sizes
from backanalytics.metrics.flags import flags
from backanalytics.metrics.function import assessment_outcomes
from backanalytics.metrics.habit import habit_strength, habit_strength_series
from backanalytics.metrics.outcomes import daily_scores, outcomes, rolling_mean, trends
from backanalytics.validation import LogValidationError, ValidationReport, load_log, validate

try:
    __version__ = version("backanalytics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CaseloadMetrics",
    "LogReadError",
    "LogValidationError",
    "ValidationReport",
    "__version__",
    "adherence_bands",
    "adherence_pain_correlation",
    "assessment_outcomes",
    "caseload_metrics",
    "consistency",
    "daily_scores",
    "dose_by_stretch",
    "effect_sizes",
    "flags",
    "habit_strength",
    "habit_strength_series",
    "load_assessments",
    "load_log",
    "outcomes",
    "phase_effect_sizes",
    "read_table",
    "rolling_mean",
    "trends",
    "validate",
    "validate_assessments",
    "weekly_consistency",
]
