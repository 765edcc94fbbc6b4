"""Benchmark: the whole pipeline (read + validate + consistency + outcomes + flags) against the floor.

Not part of the unit suite (``make bench`` runs it). For each size it generates a synthetic log
with the package's own generator (:func:`backanalytics.sample.generate_log`, 120 days per client,
about 300 rows per client), caches it as CSV in ``benchmarks/out/`` (gitignored), then, in a fresh
subprocess so that the peak memory belongs to that size alone, times:

* the floor: ``pandas.read_csv(path, engine="pyarrow")``, reading and nothing else;
* the pipeline: :func:`backanalytics.validate` (read, parse, check every rule), then
  :func:`~backanalytics.caseload_metrics`: :func:`~backanalytics.consistency`,
  :func:`~backanalytics.outcomes` and :func:`~backanalytics.flags` for every client, side by
  side in threads (what ``backanalytics report`` runs);

and prints both times, their ratio, rows per second and the peak resident memory (``VmHWM``).
Both sides are measured warm and fairly: an untimed warm-up of both on the file's first 3,000
lines (first-use imports), then ``--repeats`` runs of each, interleaved (floor, pipeline, floor,
...), keeping the best of each (a cold floor once made the ratio look three times better).
It then runs the three metrics again one after another, prints each one's time, and checks that
the tables equal those of the pipeline.
Then it times a naive per-client Python loop (filter the log per client, then adherence and
scipy's Theil-Sen slope and Kendall test) on a 500-client sample, extrapolates it to every client
and compares it with the vectorised metric step, which computes far more per client.

Usage::

    python benchmarks/bench_pipeline.py                      # 0.26 M, 2.6 M and 10 M rows
    python benchmarks/bench_pipeline.py --sizes 2.6          # millions of rows
    python benchmarks/bench_pipeline.py --sizes 0.26 --naive-clients 200 --repeats 5

Finally (unless ``--no-commands``) it runs ``bench_commands.py``: the commands people wait for
(``--help``, validate, one report, a caseload's reports, notebook 02) against ``import pandas``,
every report chart, and WeasyPrint's share of a report.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

OUT = Path(__file__).resolve().parent / "out"
DAYS = 120
END = "2026-11-15"
ROWS_PER_CLIENT = 299.3  # measured: generate_log(days=120) gives about 299 rows per client
TARGETS = {"ratio": 6.0, "peak_rss_gb": 3.0, "speedup": 30.0}


def n_clients_for(million_rows: float) -> int:
    """Clients needed for about ``million_rows`` million rows of 120-day programmes."""
    return max(10, round(million_rows * 1e6 / ROWS_PER_CLIENT))


def dataset(n_clients: int) -> Path:
    """The cached CSV for ``n_clients`` clients (generated on first use)."""
    path = OUT / f"log_{n_clients}c_{DAYS}d.csv"
    if not path.exists():
        from backanalytics.sample import write_sample

        OUT.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        write_sample(str(tmp), n_clients=n_clients, days=DAYS, end=END)
        tmp.rename(path)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def peak_rss_bytes() -> int:
    """This process's peak resident set size (``VmHWM``; psutil's ``peak_wset`` elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil

    info = psutil.Process().memory_info()
    return int(getattr(info, "peak_wset", info.rss))


def measure(path: Path, repeats: int = 3) -> dict[str, float]:
    """Time the floor and the pipeline on one file, in this process (run it in a fresh one).

    Warm (see :func:`warm_up`), then ``repeats`` interleaved runs of each; the best of each counts.
    """
    import backanalytics as ba

    warm_up(path)
    floor = pipeline = float("inf")
    steps: dict[str, float] = {}
    for _ in range(max(1, repeats)):
        report = log = tables = None  # the previous run's tables are not kept alive (peak RSS)
        started = time.perf_counter()
        floor_rows = len(pd.read_csv(path, engine="pyarrow"))
        floor = min(floor, time.perf_counter() - started)

        started = time.perf_counter()
        report = ba.validate(path, today=END)
        validated = time.perf_counter()
        log = report.valid
        tables = ba.caseload_metrics(log)
        done = time.perf_counter()
        if done - started < pipeline:
            pipeline = done - started
            steps["read_validate"], steps["metrics"] = validated - started, done - validated
        assert report.rows_read == floor_rows and report.ok, report.summary()

    # The same three metrics one after another, for the breakdown (and as a check: equal tables).
    mark = time.perf_counter()
    cons = ba.consistency(log)
    steps["consistency"] = time.perf_counter() - mark
    mark = time.perf_counter()
    outc = ba.outcomes(log)
    steps["outcomes"] = time.perf_counter() - mark
    mark = time.perf_counter()
    flagged = ba.flags(log, consistency_table=cons, outcomes_table=outc)
    steps["flags"] = time.perf_counter() - mark
    assert tables.consistency.equals(cons) and tables.outcomes.equals(outc) and tables.flags.equals(flagged)
    return {"rows": floor_rows, "clients": len(cons), "flags": len(flagged), "floor_s": floor,
            "pipeline_s": pipeline, **{f"{k}_s": v for k, v in steps.items()},
            "peak_rss_bytes": peak_rss_bytes()}


def warm_up(path: Path, lines: int = 3000) -> None:
    """Run the floor and the pipeline once on the file's first ``lines`` lines, untimed.

    The first call of each pays one-off costs (imports made on first use, e.g. pandera's
    checks, and Arrow's and numpy's first allocations); timed runs then measure the work that
    grows with the rows, for the floor and the pipeline alike.
    """
    import backanalytics as ba

    with path.open("rb") as source:
        head = b"".join(line for _, line in zip(range(lines), source, strict=False))
    small = OUT / "warm_up.csv"
    small.write_bytes(head)
    pd.read_csv(small, engine="pyarrow")
    ba.caseload_metrics(ba.validate(small, today=END).valid)


def naive_metrics(log: pd.DataFrame, clients: list[str]) -> list[dict[str, float]]:
    """The per-client loop the package replaces: filter, then compute with scipy, client by client."""
    as_of = log["date"].max()
    rows = []
    for client in clients:
        own = log[log["client_id"] == client]
        session_days = own.loc[own["stretch"].notna(), "date"].drop_duplicates()
        start = session_days.min()
        days = (as_of - start).days + 1
        recent = session_days[session_days > as_of - pd.Timedelta(days=27)]
        row = {"client_id": client, "adherence": len(session_days) / days,
               "adherence_28d": len(recent) / min(days, 28)}
        for score in ("pain", "flexibility"):
            daily = own[own[score].notna()].groupby("date")[score].mean()
            if len(daily) >= 3:
                x = np.asarray((daily.index - daily.index[0]).days, dtype=float)
                row[f"{score}_theil_sen"] = stats.theilslopes(daily.to_numpy(), x).slope * 7
                row[f"{score}_kendall_p"] = stats.kendalltau(x, daily.to_numpy()).pvalue
        rows.append(row)
    return rows


def measure_naive(path: Path, sample: int) -> dict[str, float]:
    """Naive loop on ``sample`` clients of the file, extrapolated to all of them."""
    import backanalytics as ba

    log = ba.load_log(path, today=END)
    clients = sorted(log["client_id"].unique())
    step = max(1, len(clients) // sample)
    picked = clients[::step][:sample]
    started = time.perf_counter()
    naive_metrics(log, picked)
    naive = time.perf_counter() - started
    return {"clients": len(clients), "sample": len(picked), "naive_sample_s": naive,
            "naive_all_s": naive * len(clients) / len(picked)}


def in_subprocess(mode: str, path: Path, extra: int = 3) -> dict[str, float]:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(extra)],
                          check=True, capture_output=True, text=True, env={**os.environ})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.26, 2.6, 10.0],
                        help="millions of rows (default: 0.26 2.6 10)")
    parser.add_argument("--naive-clients", type=int, default=500,
                        help="clients in the naive loop's sample (default 500)")
    parser.add_argument("--naive-size", type=float, default=2.6,
                        help="the size (millions of rows) the naive loop is compared on")
    parser.add_argument("--repeats", type=int, default=3,
                        help="warm runs of the floor and of the pipeline per size; the best counts (default 3)")
    parser.add_argument("--no-commands", action="store_true",
                        help="leave out the commands people wait for (bench_commands.py)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, path, extra = args.child
        result = measure(Path(path), int(extra)) if mode == "pipeline" else measure_naive(Path(path), int(extra))
        print(json.dumps(result))
        return 0

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; floor and pipeline warm, "
          f"best of {args.repeats} interleaved runs each")
    print(f"{'rows':>11} {'clients':>8} {'floor s':>8} {'pipeline s':>10} {'ratio':>6} {'rows/s':>11} "
          f"{'peak RSS':>9}  (validate + metrics s; the metrics one after another: consistency / "
          "outcomes / flags s)")
    results = {}
    for size in args.sizes:
        r = in_subprocess("pipeline", dataset(n_clients_for(size)), args.repeats)
        results[size] = r
        print(f"{r['rows']:>11,} {r['clients']:>8,} {r['floor_s']:>8.2f} {r['pipeline_s']:>10.2f} "
              f"{r['pipeline_s'] / r['floor_s']:>6.1f} {r['rows'] / r['pipeline_s']:>11,.0f} "
              f"{r['peak_rss_bytes'] / 1e9:>7.2f}GB  ({r['read_validate_s']:.2f} + {r['metrics_s']:.2f}; "
              f"{r['consistency_s']:.2f} / {r['outcomes_s']:.2f} / {r['flags_s']:.2f})", flush=True)
    sizes = sorted(results)
    for small, large in itertools.pairwise(sizes):
        lo, hi = results[small], results[large]
        growth = (hi["pipeline_s"] / lo["pipeline_s"]) / (hi["rows"] / lo["rows"])
        print(f"time per row at {hi['rows'] / 1e6:.2f} M rows vs {lo['rows'] / 1e6:.2f} M: x{growth:.2f} "
              "(1.0 = linear)")

    if args.naive_clients > 0:
        base = results.get(args.naive_size) or in_subprocess(
            "pipeline", dataset(n_clients_for(args.naive_size)), args.repeats)
        naive = in_subprocess("naive", dataset(n_clients_for(args.naive_size)), args.naive_clients)
        vectorised = base["consistency_s"] + base["outcomes_s"] + base["flags_s"]  # one thread at a time
        print(f"naive per-client loop: {naive['naive_sample_s']:.1f} s for {naive['sample']} clients "
              f"-> {naive['naive_all_s']:.0f} s extrapolated to {naive['clients']:,}; vectorised "
              f"metrics {vectorised:.1f} s: speed-up x{naive['naive_all_s'] / vectorised:.0f} "
              f"(x{naive['naive_all_s'] / base['pipeline_s']:.0f} against the whole pipeline)")
    print("targets: ratio <= 6 (warm, best of both), peak RSS <= 3 GB, linear growth, speed-up >= 30")
    if not args.no_commands:
        print(flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_commands.py"))], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
