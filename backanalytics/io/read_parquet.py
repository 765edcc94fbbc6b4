"""Read a Parquet file, or a folder holding a Parquet dataset, as it is typed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from backanalytics.columns import SOURCE_LINE
from backanalytics.io.common import LogReadError, ReadWarning, check_columns, reserve_names, unique_names

PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_parquet_file(path: Path) -> pd.DataFrame:
    """Read a Parquet file as it is typed (byte, list and struct cells are judged by validation).

    Two columns of the same name are read as ``pain`` and ``pain.1``, as in a CSV, so validation
    merges them (or rejects the rows where they disagree).
    """
    import pyarrow.parquet as pq
    try:
        file = pq.ParquetFile(path)
        names = file.schema_arrow.names
        check_columns(len(names), path.name)
        if len(set(names)) == len(names):
            frame = pd.read_parquet(path)
        else:
            frame = file.read().rename_columns(unique_names(names)).to_pandas()
    except LogReadError:
        raise
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise LogReadError(f"{path.name}: not a readable Parquet file ({_reason(exc)})") from None
    frame = reserve_names(frame.reset_index(drop=True))
    frame[SOURCE_LINE] = frame.index + 1
    return frame


def _reason(exc: Exception) -> str:
    """The exception's type and first line, short enough for one line of output."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def parquet_files(path: Path) -> list[Path]:
    """The folder's Parquet files in name order (names starting with ``_`` or ``.`` left out)."""
    return [f for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in PARQUET_SUFFIXES
            and not any(part.startswith(("_", ".")) for part in f.relative_to(path).parts)]


def read_parquet_folder(path: Path) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """Read a folder holding a Parquet dataset, ``source_line`` numbering its records 1, 2, ...

    A dataset written by :func:`backanalytics.scale.write_partitioned` comes back exactly as
    written, in its original row order; any other folder's Parquet files (other files, and names
    starting with ``_`` or ``.``, are left out) are read as a dataset with Hive partitioning
    (``clinic=north/part-0.parquet``: the folder keys become text columns, which validation
    ignores unless they name a canonical column), files in name order. A file whose own column
    says otherwise than its folder key (``client_id=bob/`` holding rows of ``alice``) is left out
    with a warning naming both values: neither is trusted over the other.
    """
    import pyarrow.dataset as pa_ds  # imported here: a log that is not Parquet never needs it (60 ms)

    from backanalytics import scale

    files = parquet_files(path)
    if not files:
        raise LogReadError(f"{path}: is a folder without Parquet files; give a log file or a Parquet dataset")
    warnings: list[ReadWarning] = []
    try:
        if (path / scale.BUCKET_COUNT).exists():
            frame = scale.read_partitioned(path)
        else:
            # Folder keys are read as text: a client_id=007 folder is client "007", not the number 7.
            keys = dict.fromkeys(part.split("=", 1)[0] for f in files for part in f.relative_to(path).parts[:-1]
                                 if "=" in part)
            kept = []
            for f in files:
                conflict = _key_conflict(f, path)
                if conflict:
                    warnings.append(("file", f.relative_to(path).as_posix(), conflict))
                else:
                    kept.append(f)
            if not kept:
                raise LogReadError(f"{path.name}: every file of the dataset contradicts its folder keys "
                                   f"({warnings[0][1]}: {warnings[0][2]})")
            partitioning = pa_ds.HivePartitioning(pa.schema([(k, pa.string()) for k in keys]))
            dataset = pa_ds.dataset([str(f) for f in kept], format="parquet", partitioning=partitioning,
                                    partition_base_dir=str(path))
            check_columns(len(dataset.schema.names), path.name)
            frame = dataset.to_table().to_pandas()
    except LogReadError:
        raise
    except Exception as exc:  # pyarrow raises many types for damaged or mismatched files
        raise LogReadError(f"{path.name}: not a readable Parquet dataset ({_reason(exc)})") from None
    frame = reserve_names(frame.reset_index(drop=True))
    frame[SOURCE_LINE] = frame.index + 1
    return frame, warnings


def _key_conflict(file: Path, root: Path) -> str | None:
    """Why the file's own columns contradict its folder keys (``client_id=bob``), or None.

    An empty cell is filled by the key; any other value differing from the key is a conflict.
    """
    import pyarrow.parquet as pq
    keys = dict(part.split("=", 1) for part in file.relative_to(root).parts[:-1] if "=" in part)
    if not keys:
        return None
    try:
        both = [k for k in keys if k in pq.read_schema(file).names]
        table = pq.read_table(file, columns=both) if both else None
    except Exception:
        return None
    if table is None:
        return None
    for key in both:
        cells = pc.cast(table.column(key), pa.string())
        differ = pc.and_(pc.is_valid(cells), pc.not_equal(cells, pa.scalar(keys[key])))
        count = pc.sum(pc.cast(differ, pa.int64())).as_py() or 0
        if count:
            first = pc.filter(cells, differ)[0].as_py()
            return (f"file skipped ({table.num_rows:,} rows not read): its folder says {key}={keys[key]!r} but "
                    f"{count:,} of its rows say {key}={first!r}; move the file or fix the column")
    return None
