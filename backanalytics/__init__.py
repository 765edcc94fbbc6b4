"""backanalytics: turn back-stretching logs into evidence of progress.

The pipeline, one module each: ``io`` (read files) -> ``schema`` (the contract, validation) ->
``metrics`` (consistency, outcomes, flags, effect sizes) -> ``plots`` -> ``report``.

Public names are imported on first use (PEP 562), so ``import backanalytics`` and the command's
``--help`` stay cheap: scipy, pandera and matplotlib load only when something needs them.
"""

from __future__ import annotations

# First: the ``backanalytics`` command handles Ctrl-C from its first import (nothing in other programs).
import importlib
from typing import Any

from backanalytics import interrupt as _interrupt

_interrupt.install_if_command()

_EXPORTS = {
    "LogReadError": "io", "read_table": "io",
    "adherence_bands": "metrics.association", "adherence_pain_correlation": "metrics.association",
    "CaseloadMetrics": "metrics.caseload", "caseload_metrics": "metrics.caseload",
    "consistency": "metrics.consistency", "weekly_consistency": "metrics.consistency",
    "dose_by_stretch": "metrics.dose",
    "effect_sizes": "metrics.effect_sizes", "phase_effect_sizes": "metrics.effect_sizes",
    "flags": "metrics.flags",
    "habit_strength": "metrics.habit", "habit_strength_series": "metrics.habit",
    "daily_scores": "metrics.outcomes", "outcomes": "metrics.outcomes", "rolling_mean": "metrics.outcomes",
    "trends": "metrics.outcomes",
    "LogValidationError": "validation", "ValidationReport": "validation", "load_log": "validation",
    "validate": "validation",
    "load_assessments": "assessments", "validate_assessments": "assessments",
    "assessment_outcomes": "metrics.function",
}
__all__ = sorted([*_EXPORTS, "__version__"])


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("backanalytics")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"backanalytics.{_EXPORTS[name]}"), name)
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module 'backanalytics' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
