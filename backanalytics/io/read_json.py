"""Read a JSON list of records, JSON lines, or an object holding lists of records."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from backanalytics.columns import RECORD_LIST, SOURCE_LINE
from backanalytics.io.common import MAX_JSON_BYTES, LogReadError, ReadWarning, check_columns, reserve_names
from backanalytics.io.text import decode


def read_json_file(path: Path) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """Read the records; for an object, every value that is a list of records, in order.

    Each row's ``record_list`` names its list when there are several, and ``source_line`` is the
    record's number within its list. Refuses a file over :data:`MAX_JSON_BYTES` and records
    naming more than :data:`~backanalytics.io.common.MAX_COLUMNS` distinct keys.
    """
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise LogReadError(f"{path.name}: a JSON log may be at most {MAX_JSON_BYTES // 2**20} MB "
                           f"({size // 2**20} MB given); save a large log as CSV or Parquet")
    data, warnings = _json_data(path)
    parts = _record_lists(data, path.name)
    if not any(records for _, records in parts):
        raise LogReadError(f"{path.name}: the JSON holds no records")
    keys: set[str] = set()
    for _, records in parts:
        for record in records:
            keys.update(record)
        check_columns(len(keys), path.name, "the records together")
    frames = []
    for key, records in parts:
        if not records:
            continue
        frame = reserve_names(pd.DataFrame.from_records(records))
        frame[SOURCE_LINE] = frame.index + 1
        if len(parts) > 1:
            frame[RECORD_LIST] = key
        frames.append(frame)
    return (pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]), warnings


def _json_data(path: Path) -> tuple[object, list[ReadWarning]]:
    """The parsed JSON document, or the list of JSON-lines records."""
    text, warnings = decode(path.read_bytes(), path.name)
    too_deep = f"{path.name}: the JSON is nested too deeply to be a log"
    try:
        return json.loads(text), warnings
    except RecursionError:
        raise LogReadError(too_deep) from None
    except json.JSONDecodeError:
        pass
    # JSON lines: one record per line (split on "\n" only: U+2028 may sit inside a string).
    records = []
    for i, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except RecursionError:
            raise LogReadError(too_deep) from None
        except json.JSONDecodeError as exc:
            raise LogReadError(f"{path.name}: line {i} is not valid JSON ({exc.msg})") from None
    return records, warnings


def _record_lists(data: object, name: str) -> list[tuple[str | None, list[dict]]]:
    """(key, records) of every list of records in the document; refuses any other shape.

    A list is the records itself. In an object, scalar values (a version, an export date) are
    metadata; every list must be a list of records, or the shape is ambiguous and refused.
    """
    shape = f"{name}: expected a list of records (objects) in the JSON"
    if isinstance(data, list):
        if not all(isinstance(r, dict) for r in data):
            raise LogReadError(shape)
        return [(None, data)]
    if not isinstance(data, dict):
        raise LogReadError(shape)
    lists = [(str(k), v) for k, v in data.items() if isinstance(v, list)]
    if not lists:
        raise LogReadError(shape)
    odd = [k for k, v in lists if not all(isinstance(r, dict) for r in v)]
    if odd:
        shown = ", ".join(repr(k[:40]) for k in odd[:3])
        raise LogReadError(f"{shape}; the object's list {shown} holds other values than records "
                           "(an ambiguous shape: make every list a list of records)")
    return lists
