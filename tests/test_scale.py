"""Parquet datasets bucketed by client, and the metrics on Dask equal to one pandas call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from backanalytics.metrics.consistency import consistency
from backanalytics.metrics.flags import flags
from backanalytics.metrics.outcomes import outcomes
from backanalytics.sample import generate_log
from backanalytics.scale import (
    BUCKET,
    client_bucket,
    compute_metrics,
    dask_metrics,
    read_partitioned,
    write_partitioned,
)


@pytest.fixture(scope="module")
def big_log() -> pd.DataFrame:
    log = generate_log(n_clients=200, days=42, seed=11)
    log.loc[::50, "planned_rest"] = True  # exercise the bool column with both values
    return log


@pytest.fixture(scope="module")
def dataset(big_log: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_partitioned(big_log, tmp_path_factory.mktemp("scale") / "log", buckets=8)


def test_round_trip_equals_the_input_exactly(big_log: pd.DataFrame, dataset: Path) -> None:
    pd.testing.assert_frame_equal(read_partitioned(dataset), big_log, check_exact=True)


def test_round_trip_keeps_the_sample_logs_types(tmp_path: Path) -> None:
    log = generate_log()  # 9 named clients, categories, nullable reps, notes with quotes
    back = read_partitioned(write_partitioned(log, tmp_path / "d", buckets=3))
    pd.testing.assert_frame_equal(back, log, check_exact=True)
    assert back.dtypes.to_dict() == log.dtypes.to_dict()


def test_each_client_is_in_exactly_one_bucket(big_log: pd.DataFrame, dataset: Path) -> None:
    seen: dict[str, set[str]] = {}
    for folder in sorted(dataset.glob(f"{BUCKET}=*")):
        clients = pq.read_table(folder, columns=["client_id"]).column(0).to_pylist()
        for client in set(clients):
            seen.setdefault(client, set()).add(folder.name)
    assert set(seen) == set(big_log["client_id"])
    assert all(len(folders) == 1 for folders in seen.values())


def test_bucket_is_the_stable_hash_of_the_client_id(dataset: Path) -> None:
    for folder in dataset.glob(f"{BUCKET}=*"):
        clients = pq.read_table(folder, columns=["client_id"]).column(0).to_pylist()
        assert set(client_bucket(clients, 8)) == {int(folder.name.split("=")[1])}


def test_bucket_hash_is_the_same_in_another_process() -> None:
    ids = ["anna", "ben", "c000123", "José"]
    code = ("from backanalytics.scale import client_bucket; "
            f"print(client_bucket({ids!r}, 64).tolist())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": "12345"})
    assert other.stdout.strip() == str(client_bucket(ids, 64).tolist())


def test_reading_some_clients_opens_only_their_rows(big_log: pd.DataFrame, dataset: Path) -> None:
    wanted = ["c000007", "c000150"]
    part = read_partitioned(dataset, clients=wanted)
    expected = big_log[big_log["client_id"].isin(wanted)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected, check_exact=True)


def test_writing_into_a_non_empty_folder_is_refused(dataset: Path) -> None:
    with pytest.raises(FileExistsError):
        write_partitioned(generate_log(n_clients=2, days=7), dataset)


def test_dask_metrics_needs_a_known_metric(dataset: Path) -> None:
    with pytest.raises(ValueError, match="metric must be one of"):
        dask_metrics(dataset, "habits")


@pytest.mark.slow
def test_metrics_on_a_local_dask_cluster_equal_the_pandas_results(big_log: pd.DataFrame, dataset: Path) -> None:
    from dask.distributed import Client, LocalCluster

    as_of = big_log["date"].max()
    expected = {
        "consistency": consistency(big_log, prescription=5),
        "outcomes": outcomes(big_log),
        "flags": flags(big_log),
    }
    kwargs = {"consistency": {"prescription": 5}, "outcomes": {}, "flags": {}}
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster):
        lazy = dask_metrics(dataset, "consistency", prescription=5)
        assert lazy.npartitions == len(list(dataset.glob(f"{BUCKET}=*")))
        for metric, want in expected.items():
            got = compute_metrics(dataset, metric, **kwargs[metric])
            if metric == "flags":
                pd.testing.assert_frame_equal(got, want, check_exact=True)
            else:
                pd.testing.assert_frame_equal(got, want.sort_index(), check_exact=True)
        # as_of is fixed once for the whole dataset, not per partition.
        assert (compute_metrics(dataset, "consistency")["as_of"] == as_of).all()


def test_metrics_on_a_users_own_dask_dataframe_equal_the_pandas_results(big_log: pd.DataFrame) -> None:
    import dask.dataframe as dd

    # Rows in date order, so every partition of the user's frame mixes many clients: the shuffle
    # by client_id must bring each client's rows together.
    mixed = big_log.sort_values(["date", "client_id"], kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(mixed, npartitions=5)
    for metric, function in [("consistency", consistency), ("outcomes", outcomes), ("flags", flags)]:
        got = compute_metrics(ddf, metric)
        want = function(big_log)
        if metric != "flags":
            want = want.sort_index()
        pd.testing.assert_frame_equal(got, want, check_exact=True)
