"""Importers: turn other apps' exports into the canonical log.

Each importer returns an :class:`ImportResult`: the canonical log (column names from
:mod:`backanalytics.columns`, not yet validated) and a table of what was skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from backanalytics import columns as C

SKIPPED_COLUMNS = ["source", "record", "reason"]


@dataclass
class ImportResult:
    """What an importer read: ``log`` (canonical columns) and ``skipped`` (source, record, reason)."""

    log: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))

    def summary(self) -> str:
        """One line: how many rows were imported and skipped."""
        return f"imported {len(self.log)} rows, skipped {len(self.skipped)} records"


_DTYPES = {
    C.CLIENT_ID: "str", C.TIME: "str", C.STRETCH: "str", C.HOLD_S: "float64", C.REPS: "Int64",
    C.SIDE: "str", C.PAIN: "float64", C.PAIN_AFTER: "float64", C.FLEXIBILITY: "float64",
    C.REACH_CM: "float64", C.NOTES: "str",
}


def canonical_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Importer rows (dicts keyed by canonical names) -> every canonical column, in order, typed.

    Dates become ns timestamps at midnight, ``reps`` nullable integers, ``planned_rest`` False when
    missing: the same types :func:`backanalytics.validate` produces.
    """
    frame = pd.DataFrame.from_records(rows, columns=C.CANONICAL)
    frame[C.DATE] = pd.to_datetime(frame[C.DATE]).astype("datetime64[ns]").dt.normalize()
    frame[C.PLANNED_REST] = frame[C.PLANNED_REST].astype("boolean").fillna(False).astype(bool)
    return frame.astype(_DTYPES)
