"""Importers: turn other apps' exports into the canonical log.

Each importer returns an :class:`ImportResult`: the canonical log (column names from
:mod:`backanalytics.columns`, not yet validated), a table of what was skipped and why, and where
each log row came from, so a row that validation later rejects can be traced to its record.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from backanalytics import columns as C

SKIPPED_COLUMNS = ["source", "record", "reason"]
ORIGIN_COLUMNS = ["source", "record"]
#: Key of an importer row dict holding its (source, record); :func:`canonical_frame` drops it.
ORIGIN = "_origin"
#: Importer names, as the command line spells them (``backanalytics import KIND``).
IMPORTERS = ("loop", "apple-health", "fhir", "strong", "hevy", "bearable")
#: Importers that take a name -> stretch ``mapping`` (``--map``).
MAPPABLE = ("loop", "strong", "hevy", "bearable")


@dataclass
class ImportResult:
    """What an importer read.

    Attributes
    ----------
    log : canonical columns, one row per imported entry (not yet validated).
    skipped : what was not imported and why (source, record, reason).
    origins : where each ``log`` row came from (source, record), row for row; empty when the
        importer does not say.
    """

    log: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))
    origins: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ORIGIN_COLUMNS))

    def summary(self) -> str:
        """One line: how many rows were imported and skipped."""
        return f"imported {len(self.log)} rows, skipped {len(self.skipped)} records"

    def origin(self, position: int) -> tuple[str, str]:
        """(source, record) of the log row at ``position``; ("import", "row N") when not known.

        Examples
        --------
        >>> result = ImportResult(pd.DataFrame({"pain": [3.0]}))
        >>> result.origin(0)
        ('import', 'row 1')
        """
        if len(self.origins) == len(self.log) and 0 <= position < len(self.origins):
            source, record = self.origins.iloc[position][ORIGIN_COLUMNS]
            return str(source), str(record)
        return "import", f"row {position + 1}"

    def rejections(self, failures: pd.DataFrame) -> pd.DataFrame:
        """Where the rows that validation rejected came from, and why: (source, record, reason).

        Parameters
        ----------
        failures
            ``validate(self.log).failures`` (source_line, column, value, rule); line ``n`` is log
            row ``n - 1``.

        Returns
        -------
        pandas.DataFrame
            One row per rejected log row, in log order; ``reason`` joins its problems with "; ".

        Examples
        --------
        >>> result = ImportResult(pd.DataFrame({"pain": [3.0, 12.0]}),
        ...                       origins=pd.DataFrame({"source": ["a.json", "a.json"], "record": ["p1", "p2"]}))
        >>> failures = pd.DataFrame({"source_line": [2], "column": ["pain"], "value": [12.0],
        ...                          "rule": ["pain must be between 0 and 10"]})
        >>> result.rejections(failures).values.tolist()
        [['a.json', 'p2', "pain '12': pain must be between 0 and 10"]]
        """
        rows = []
        for line, problems in failures.groupby(C.SOURCE_LINE, sort=True):
            source, record = self.origin(int(line) - 1)
            reason = "; ".join(_problem_text(row[1], row[2], row[3]) for row in problems.itertuples(index=False))
            rows.append({"source": source, "record": record, "reason": reason})
        return pd.DataFrame(rows, columns=SKIPPED_COLUMNS)


def _problem_text(column: str, value: Any, rule: str) -> str:
    """'date '1985-01-01': date must not be before 1990-01-01' (the value as imported)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return f"{column}: {rule}"
    if isinstance(value, pd.Timestamp):
        value = value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    elif isinstance(value, float):
        value = f"{value:g}"
    return f"{column} {str(value)[:60]!r}: {rule}"


def run_importer(
    kind: str,
    src: str | os.PathLike[str],
    *,
    client_id: str | None = None,
    mapping: Mapping[str, str | Sequence[str] | None] | None = None,
    symptoms: Sequence[str] = (),
) -> ImportResult:
    """Run the importer called ``kind`` (one of :data:`IMPORTERS`) on ``src``.

    ``client_id`` defaults to "me" for the personal apps and to each Observation's patient for
    FHIR; ``mapping`` is Loop's habit -> stretch(es) mapping, or the exercise / factor -> stretch
    mapping of Strong, Hevy and Bearable; ``symptoms`` are more Bearable symptoms read as pain.

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``mapping`` with another importer, or what the importer raises.
    """
    if kind not in IMPORTERS:
        raise ValueError(f"unknown importer {kind!r}; use one of {', '.join(IMPORTERS)}")
    if mapping and kind not in MAPPABLE:
        raise ValueError(f"a mapping is only for the {', '.join(MAPPABLE)} importers")
    if symptoms and kind != "bearable":
        raise ValueError("symptoms are only for the Bearable importer")
    if kind == "strong":
        from backanalytics.importers.strong import import_strong

        return import_strong(src, client_id or "me", mapping=mapping)
    if kind == "hevy":
        from backanalytics.importers.hevy import import_hevy

        return import_hevy(src, client_id or "me", mapping=mapping)
    if kind == "bearable":
        from backanalytics.importers.bearable import import_bearable

        return import_bearable(src, client_id or "me", symptoms=symptoms, mapping=mapping)
    if kind == "loop":
        from backanalytics.importers.loop import import_loop

        return import_loop(src, mapping=mapping, client_id=client_id or "me")
    if kind == "apple-health":
        from backanalytics.importers.apple_health import import_apple_health

        return import_apple_health(src, client_id=client_id or "me")
    from backanalytics.importers.fhir import import_fhir

    return import_fhir(src, client_id=client_id)


def origin_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The (source, record) pairs that importer rows carry under :data:`ORIGIN`, in row order."""
    pairs = [row.get(ORIGIN) or ("", "") for row in rows]
    return pd.DataFrame(pairs, columns=ORIGIN_COLUMNS, dtype="str")


_DTYPES = {
    C.CLIENT_ID: "str", C.TIME: "str", C.STRETCH: "str", C.HOLD_S: "float64", C.REPS: "Int64",
    C.SIDE: "str", C.PAIN: "float64", C.PAIN_AFTER: "float64", C.FLEXIBILITY: "float64",
    C.REACH_CM: "float64", C.NOTES: "str",
}


def canonical_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Importer rows (dicts keyed by canonical names) -> every canonical column, in order, typed.

    Dates become ns timestamps at midnight, ``reps`` nullable integers, ``planned_rest`` False when
    missing: the same types :func:`backanalytics.validate` produces. Other keys (such as
    :data:`ORIGIN`) are dropped; ``canonical_frame([])`` is the empty log with every column.
    """
    frame = pd.DataFrame.from_records(rows, columns=C.CANONICAL)
    frame[C.DATE] = pd.to_datetime(frame[C.DATE]).astype("datetime64[ns]").dt.normalize()
    frame[C.PLANNED_REST] = frame[C.PLANNED_REST].astype("boolean").fillna(False).astype(bool)
    return frame.astype(_DTYPES)
