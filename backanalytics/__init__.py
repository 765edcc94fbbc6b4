"""backanalytics: turn back-stretching logs into evidence of progress.

The pipeline, one module each: ``io`` (read files) -> ``schema`` (the contract, validation) ->
``metrics`` (consistency, outcomes, flags, effect sizes) -> ``plots`` -> ``report``.
"""

from importlib.metadata import PackageNotFoundError, version

from backanalytics.io import LogReadError, read_table
from backanalytics.schema import LogValidationError, ValidationReport, load_log, validate

try:
    __version__ = version("backanalytics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "LogReadError",
    "LogValidationError",
    "ValidationReport",
    "__version__",
    "load_log",
    "read_table",
    "validate",
]
