"""Importers: turn other apps' exports into the canonical log.

Each importer returns an :class:`ImportResult`: the canonical log (column names from
:mod:`backanalytics.columns`, not yet validated) and a table of what was skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SKIPPED_COLUMNS = ["source", "record", "reason"]


@dataclass
class ImportResult:
    """What an importer read: ``log`` (canonical columns) and ``skipped`` (source, record, reason)."""

    log: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))

    def summary(self) -> str:
        """One line: how many rows were imported and skipped."""
        return f"imported {len(self.log)} rows, skipped {len(self.skipped)} records"
