"""The data contract: one pandera schema for the canonical log, checked on distinct values.

Every rule of the contract judges one value at a time, so pandera checks a compact table of each
column's distinct typed values and each failure is spread back to the rows holding that value:
the same problems as checking row by row. Validation as a whole (read -> shape -> headers ->
cells -> this schema -> the report of problems) is :mod:`backanalytics.validation`; its public
names are importable from here too.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa

from backanalytics import columns as C
from backanalytics.cells.log import ParsedLog
from backanalytics.problems import PROBLEM_COLUMNS, concat

EARLIEST = pd.Timestamp("1990-01-01")
REACH_RANGE = (-50.0, 100.0)  # cm; sit-and-reach can be negative, fingertip-to-floor positive


def log_schema(today: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The canonical log schema: one column per field of the contract, rules named as sentences.

    Examples
    --------
    >>> sorted(log_schema().columns)[:3]
    ['client_id', 'date', 'flexibility']
    """
    today = pd.Timestamp(today if today is not None else dt.date.today()).normalize()

    def rating(name: str) -> pa.Column:
        return pa.Column(float, pa.Check.in_range(0, 10, error=f"{name} must be between 0 and 10"),
                         nullable=True)

    return pa.DataFrameSchema(
        {
            C.CLIENT_ID: pa.Column(
                str, pa.Check.str_length(1, 64, error="client_id must be 1 to 64 characters"), nullable=False),
            C.DATE: pa.Column("datetime64[ns]", [
                pa.Check.ge(EARLIEST, error="date must not be before 1990-01-01"),
                pa.Check.le(today, error=f"date must not be in the future (after {today.date()})"),
            ], nullable=False),
            C.TIME: pa.Column(str, nullable=True),
            C.STRETCH: pa.Column(
                str, pa.Check.str_length(1, 200, error="stretch name must be at most 200 characters"), nullable=True),
            C.HOLD_S: pa.Column(float, [
                pa.Check.gt(0, error="hold_s must be more than 0 seconds"),
                pa.Check.le(600, error="hold_s must be at most 600 seconds"),
            ], nullable=True),
            C.REPS: pa.Column(
                "Int64", pa.Check.in_range(1, 100, error="reps must be between 1 and 100"), nullable=True),
            C.SIDE: pa.Column(pd.CategoricalDtype(C.SIDES), nullable=True),
            C.PAIN: rating(C.PAIN),
            C.PAIN_AFTER: rating(C.PAIN_AFTER),
            C.FLEXIBILITY: rating(C.FLEXIBILITY),
            C.REACH_CM: pa.Column(
                float, pa.Check.in_range(*REACH_RANGE, error="reach_cm must be between -50 and 100 cm"), nullable=True),
            C.NOTES: pa.Column(str, nullable=True),
            C.PLANNED_REST: pa.Column(bool, nullable=False),
        },
        strict=True,
        ordered=True,
        name="canonical stretching log",
    )



#: pandera checks that judge each value on its own: a column can be checked on its distinct values.
_ELEMENTWISE_CHECKS = {"in_range", "str_length", "greater_than", "greater_than_or_equal_to", "less_than",
                       "less_than_or_equal_to", "equal_to", "not_equal_to", "isin", "notin", "str_matches",
                       "str_contains", "str_startswith", "str_endswith"}


def schema_failures(parsed: ParsedLog, today: pd.Timestamp | None) -> pd.DataFrame:
    """Run the pandera schema lazily; return (row, column, value, rule) for every failed check.

    Every check of the contract judges one value at a time, so pandera runs on a compact table
    of each column's distinct typed values, and each failure is then spread out to the rows that
    hold that value: the same problems as validating every row, in a fraction of the time. A
    schema with any other kind of check is run on the whole table.
    """
    schema = _cached_schema(pd.Timestamp(today if today is not None else dt.date.today()).normalize())
    if not _checks_are_elementwise(schema) or any(len(p.values) == 0 for p in parsed.columns.values()):
        return _failures_of(schema, parsed.frame(), lambda column, index: np.asarray(index, dtype=np.intp))
    checked = [len(parsed.columns[n].values) for n, col in schema.columns.items()
               if col.checks or not col.nullable]
    size = max(checked, default=1)
    compact = pd.DataFrame({n: p.values.take(np.arange(size) % len(p.values)).reset_index(drop=True)
                            for n, p in parsed.columns.items()})[C.CANONICAL]

    def rows(column: str, index: np.ndarray) -> np.ndarray:
        """The rows holding the values at compact positions ``index`` of ``column``."""
        p = parsed.columns[column]
        flags = np.zeros(len(p.values), dtype=bool)
        flags[np.asarray(index, dtype=np.intp) % len(p.values)] = True
        return p.where(flags)

    return _failures_of(schema, compact, rows)


@functools.lru_cache(maxsize=8)
def _cached_schema(today: pd.Timestamp) -> pa.DataFrameSchema:
    """:func:`log_schema` for one day, built once (validation does not change a schema)."""
    return log_schema(today)


def _checks_are_elementwise(schema: pa.DataFrameSchema) -> bool:
    """True when every check of ``schema`` is a per-value column check (no table or unique checks)."""
    if schema.checks or schema.unique:
        return False
    return all(not col.unique and all(c.name in _ELEMENTWISE_CHECKS for c in col.checks)
               for col in schema.columns.values())


def _failures_of(schema: pa.DataFrameSchema, table: pd.DataFrame, rows) -> pd.DataFrame:
    """pandera's failure cases on ``table`` as problems; ``rows(column, index)`` names the rows."""
    try:
        schema.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()]
        parts = []
        for (column, check), group in fc.groupby(["column", "check"], sort=False):
            # pandera names a missing value "not_nullable"; say it as a rule people read.
            rule = f"{column} is required" if check == "not_nullable" else str(check)
            found = rows(str(column), group["index"].to_numpy(dtype=np.int64))
            parts.append(pd.DataFrame({"row": found, "column": str(column), "value": None, "rule": rule}))
        return concat(parts, PROBLEM_COLUMNS)
    return pd.DataFrame(columns=PROBLEM_COLUMNS)



#: Names that lived here before validation had its own module, still importable from here.
_MOVED = {"validate": "validation", "load_log": "validation", "ValidationReport": "validation",
          "LogValidationError": "validation", "describe_failure": "problems", "rename_columns": "headers",
          "parse_log": "cells.log", "_blank_out": "cells.column"}


def __getattr__(name: str) -> object:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f"backanalytics.{_MOVED[name]}")
    return getattr(module, name.lstrip("_") if name == "_blank_out" else name)
