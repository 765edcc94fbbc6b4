"""Logs too big for one pass: Parquet datasets bucketed by client, and the metrics on Dask.

Every metric in :mod:`backanalytics.metrics` is per client: a client's results depend on that
client's rows and on the analysis date ``as_of``, nothing else. So a log split into pieces that
each hold *whole clients* can be analysed piece by piece, with the ordinary pandas functions, and
the pieces' results concatenated. This module provides the split and the piecewise run:

* :func:`write_partitioned` writes a Hive-partitioned Parquet dataset, one folder per client
  bucket (``bucket=07/``), the bucket being a stable hash of ``client_id`` modulo ``buckets``;
* :func:`read_partitioned` reads it back (all of it, or only the buckets holding some clients),
  exactly as written;
* :func:`dask_metrics` maps :func:`~backanalytics.consistency`, :func:`~backanalytics.outcomes` or
  :func:`~backanalytics.flags` over the buckets as a ``dask.dataframe`` (one partition per bucket),
  with ``as_of`` fixed once for the whole dataset; :func:`compute_metrics` runs it.

Dask is optional (``pip install backanalytics[scale]``); the Parquet functions need only pyarrow.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from backanalytics import columns as C
from backanalytics.interrupt import check as check_interrupt

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd

#: Partition column of the dataset (the folder names: ``bucket=00`` ... ``bucket=63``).
BUCKET = "bucket"
#: Hidden column keeping each row's position in the log written, so reading restores the order.
ROW = "_row"
#: File recording the number of buckets (readers skip names starting with "_").
BUCKET_COUNT = "_buckets"
METRICS = ("consistency", "outcomes", "flags")


def client_bucket(client_ids: Sequence[str] | pd.Series | np.ndarray, buckets: int = 64) -> np.ndarray:
    """The bucket (0 .. ``buckets`` - 1) of each client id: a stable hash, the same in every process.

    ``pandas.util.hash_array`` hashes the text with a fixed key (SipHash), unlike Python's
    ``hash()``, which is salted per process; so a client lands in the same bucket on every
    machine and in every run.

    Examples
    --------
    >>> client_bucket(["c000001", "c000002", "c000003", "c000001"], buckets=4).tolist()
    [2, 1, 3, 2]
    """
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    values = np.asarray(pd.Series(client_ids).astype(str).to_numpy(), dtype=object)
    return (pd.util.hash_array(values) % np.uint64(buckets)).astype(np.int64)


def _bucket_name(bucket: int, buckets: int) -> str:
    return str(bucket).zfill(len(str(buckets - 1)))


def write_partitioned(log: pd.DataFrame, path: str | Path, buckets: int = 64) -> Path:
    """Write a log as a Parquet dataset partitioned by client bucket (Hive layout).

    Each bucket becomes a folder ``<path>/bucket=NN/`` holding one Parquet file of whole clients,
    in the log's row order. Column types (categories, nullable integers, dates) are kept.

    Parameters
    ----------
    log
        A canonical log (any DataFrame with ``client_id``).
    path
        The dataset folder; it must not exist yet or be empty.
    buckets
        Number of buckets: clients per bucket is about ``clients / buckets``. Pick it so a bucket
        fits comfortably in one worker's memory (e.g. a few hundred MB of CSV).

    Returns
    -------
    pathlib.Path
        The dataset folder.

    Examples
    --------
    >>> import tempfile
    >>> from backanalytics.sample import generate_log
    >>> log = generate_log(n_clients=20, days=14)
    >>> root = write_partitioned(log, tempfile.mkdtemp() + "/log", buckets=4)
    >>> sorted(p.name for p in root.glob("bucket=*"))  # no client hashed to bucket 0: no folder
    ['bucket=1', 'bucket=2', 'bucket=3']
    >>> read_partitioned(root).equals(log)
    True
    """
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; write a dataset into a new folder")
    root.parent.mkdir(parents=True, exist_ok=True)
    # Written beside its place and renamed into it when complete: an interrupted run leaves no half
    # dataset, and of two runs writing the same folder the second finds it taken (not a mix of both).
    tmp = root.parent / f".{root.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    tmp.mkdir()
    try:
        _write_buckets(log, tmp, buckets)
        check_interrupt()
        try:
            os.rename(tmp, root)  # POSIX replaces an empty folder; a non-empty one refuses
        except OSError:
            if not (root.is_dir() and not any(root.iterdir())):
                raise FileExistsError(f"{root} is not empty (another run wrote it meanwhile); write a "
                                      "dataset into a new folder") from None
            root.rmdir()  # Windows does not replace even an empty folder
            os.rename(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root


def _write_buckets(log: pd.DataFrame, root: Path, buckets: int) -> None:
    (root / BUCKET_COUNT).write_text(str(buckets))
    frame = log.reset_index(drop=True)
    frame[ROW] = np.arange(len(frame), dtype=np.int64)
    bucket = client_bucket(frame[C.CLIENT_ID], buckets)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(buckets + 1))
    for b in range(buckets):
        rows = order[bounds[b]:bounds[b + 1]]
        if len(rows) == 0:
            continue
        folder = root / f"{BUCKET}={_bucket_name(b, buckets)}"
        folder.mkdir()
        table = pa.Table.from_pandas(frame.iloc[rows], preserve_index=False)
        pq.write_table(table, folder / "part-0.parquet", row_group_size=len(rows))


def bucket_files(path: str | Path, clients: Sequence[str] | None = None) -> list[Path]:
    """The Parquet files of a dataset, bucket by bucket; only those of ``clients`` when given."""
    root = Path(path)
    folders = sorted(root.glob(f"{BUCKET}=*"), key=lambda p: int(p.name.split("=", 1)[1]))
    if not folders:
        raise FileNotFoundError(f"{root}: no {BUCKET}=... folders (write it with write_partitioned)")
    count = root / BUCKET_COUNT
    if clients is not None and count.exists():
        wanted = set(client_bucket(list(clients), int(count.read_text())).tolist())
        folders = [f for f in folders if int(f.name.split("=", 1)[1]) in wanted]
    return [file for folder in folders for file in sorted(folder.glob("*.parquet"))]


def _read_file(file: Path, clients: Sequence[str] | None = None) -> pd.DataFrame:
    filters = [(C.CLIENT_ID, "in", list(clients))] if clients is not None else None
    frame = pq.read_table(file, filters=filters).to_pandas()
    return frame.drop(columns=[BUCKET], errors="ignore")


def read_partitioned(path: str | Path, clients: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a dataset written by :func:`write_partitioned`, in the original row order.

    Parameters
    ----------
    path
        The dataset folder.
    clients
        Only these clients' rows (only their buckets' files are opened).

    Returns
    -------
    pandas.DataFrame
        The log as written (same columns, types and order; a RangeIndex).

    Examples
    --------
    >>> import tempfile
    >>> from backanalytics.sample import generate_log
    >>> root = write_partitioned(generate_log(n_clients=3, days=7), tempfile.mkdtemp(), buckets=2)
    >>> read_partitioned(root, clients=["ben"])["client_id"].unique().tolist()
    ['ben']
    """
    files = bucket_files(path, clients)
    parts = [_read_file(f, clients) for f in files]
    if not parts:
        raise ValueError(f"{path}: none of the clients {list(clients or [])[:5]} is in the dataset")
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(ROW, kind="stable").drop(columns=[ROW])
    return frame.reset_index(drop=True)


def _run_metric(part: pd.DataFrame, metric: str, as_of: pd.Timestamp, kwargs: dict[str, Any]) -> pd.DataFrame:
    """One partition (whole clients) -> the pandas metric's result for those clients."""
    from backanalytics.metrics.consistency import consistency
    from backanalytics.metrics.flags import flags
    from backanalytics.metrics.outcomes import outcomes

    functions: dict[str, Callable[..., pd.DataFrame]] = {
        "consistency": consistency, "outcomes": outcomes, "flags": flags}
    log = _pandas_strings(part.drop(columns=[c for c in (BUCKET, ROW) if c in part]))
    if ROW in part:
        log = log.iloc[np.argsort(part[ROW].to_numpy(), kind="stable")].reset_index(drop=True)
    return functions[metric](log, as_of=as_of, **kwargs)


def dask_metrics(path_or_ddf: str | Path | dd.DataFrame, metric: str = "consistency",
                 as_of: object | None = None, **kwargs: Any) -> dd.DataFrame:
    """A metric for every client, as a lazy ``dask.dataframe`` computed bucket by bucket.

    The pandas function (:func:`~backanalytics.consistency`, :func:`~backanalytics.outcomes` or
    :func:`~backanalytics.flags`) runs unchanged on each partition through ``map_partitions``,
    so the results are those of one pandas call on the whole log, because every partition holds
    whole clients and ``as_of`` is the same everywhere.

    Parameters
    ----------
    path_or_ddf
        A dataset folder written by :func:`write_partitioned` (one partition per bucket), or a
        dask DataFrame of a canonical log (shuffled by ``client_id`` first, so each client's rows
        end up in one partition).
    metric
        ``"consistency"``, ``"outcomes"`` or ``"flags"``.
    as_of
        The analysis date. Default: the latest date of the whole dataset, computed once here
        (a per-partition default would differ between partitions).
    **kwargs
        Passed to the metric (e.g. ``prescription=3``, ``thresholds={...}``).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``.compute()`` gives the pandas result (rows grouped by partition: sort by
        ``client_id`` to compare with a single pandas call).

    Examples
    --------
    >>> import tempfile
    >>> from backanalytics.sample import generate_log
    >>> root = write_partitioned(generate_log(n_clients=12, days=28), tempfile.mkdtemp(), buckets=3)
    >>> lazy = dask_metrics(root, "consistency")
    >>> lazy.npartitions, len(lazy.compute(scheduler="sync"))
    (3, 12)
    """
    return _prepare(path_or_ddf, metric, as_of, kwargs)[0]


def _prepare(path_or_ddf: str | Path | dd.DataFrame, metric: str, as_of: object | None,
             kwargs: dict[str, Any]) -> tuple[dd.DataFrame, pd.DataFrame]:
    """The lazy result and the pandas metric's own (empty) result, whose types it should have."""
    import dask.dataframe as dd

    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if isinstance(path_or_ddf, (str, Path)):
        files = bucket_files(path_or_ddf)
        if as_of is None:
            as_of = max(pq.read_table(f, columns=[C.DATE]).column(0).to_pandas().max() for f in files)
        sample = _read_file(files[0])
        ddf = dd.from_map(_read_file, files, meta=sample.iloc[:0], enforce_metadata=False)
    else:
        ddf = path_or_ddf.shuffle(on=C.CLIENT_ID)
        if as_of is None:
            as_of = ddf[C.DATE].max().compute()
        sample = ddf.get_partition(0).compute()
    as_of = pd.Timestamp(as_of).normalize()
    if sample.empty:
        raise ValueError("the first partition is empty; cannot infer the result's columns")
    meta = _run_metric(sample, metric, as_of, kwargs).iloc[:0]
    lazy = ddf.map_partitions(_run_metric, metric, as_of, kwargs, meta=meta, enforce_metadata=False,
                              align_dataframes=False)
    return lazy, meta


def compute_metrics(path_or_ddf: str | Path | dd.DataFrame, metric: str = "consistency",
                    as_of: object | None = None, **kwargs: Any) -> pd.DataFrame:
    """:func:`dask_metrics` computed (on the current Dask client if any) and sorted by client.

    Examples
    --------
    >>> import tempfile
    >>> from backanalytics.sample import generate_log
    >>> root = write_partitioned(generate_log(n_clients=9, days=28), tempfile.mkdtemp(), buckets=3)
    >>> compute_metrics(root, "outcomes").index[:3].tolist()
    ['anna', 'ben', 'carla']
    """
    lazy, meta = _prepare(path_or_ddf, metric, as_of, kwargs)
    result = lazy.compute()
    # Dask turns text into its own string type on the way; give back the pandas types. (Numeric
    # types are left alone: an integer column of one partition is float in another when it has
    # NaN, and the concatenation then matches the single pandas call.)
    text = {c: meta[c].dtype for c in result if _dask_string(result[c].dtype) and c in meta}
    result = result.astype(text)
    if _dask_string(result.index.dtype):
        result.index = result.index.astype(meta.index.dtype)
    if metric == "flags":
        return result.sort_values([C.CLIENT_ID, C.DATE, "flag"], ascending=[True, False, True],
                                  kind="stable").reset_index(drop=True)
    return result.sort_index(kind="stable")


def _pandas_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Dask's ``string[pyarrow]`` text columns back to pandas' default ``str`` (missing = NaN).

    Dask converts the text of a pandas frame it is given; the metrics then run on exactly the
    types a single pandas call sees.
    """
    text = {c: "str" for c in frame.columns if _dask_string(frame[c].dtype)}
    return frame.astype(text) if text else frame


def _dask_string(dtype: object) -> bool:
    """Dask's ``string[pyarrow]`` (missing value ``pd.NA``), not pandas' default ``str``."""
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA
