"""Benchmark: import a large synthetic Apple Health export; time and peak memory vs file size.

Not part of the unit suite. Generates export.xml files (streamed to disk, Apple's v14 DTD, a mix
of step / heart-rate records with metadata and one workout in ~3000 elements, a third of them
stretching) in a temporary folder, then imports each in a fresh subprocess so the peak RSS
reported belongs to that import alone. Memory should stay flat as the file grows.

Usage::

    python benchmarks/bench_apple_health.py                 # 500 MB
    python benchmarks/bench_apple_health.py --sizes 50 500 --zip
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate value CDATA #REQUIRED>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record type CDATA #REQUIRED unit CDATA #IMPLIED value CDATA #IMPLIED
  sourceName CDATA #REQUIRED sourceVersion CDATA #IMPLIED device CDATA #IMPLIED
  creationDate CDATA #IMPLIED startDate CDATA #REQUIRED endDate CDATA #REQUIRED>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout workoutActivityType CDATA #REQUIRED duration CDATA #IMPLIED
  durationUnit CDATA #IMPLIED sourceName CDATA #REQUIRED startDate CDATA #REQUIRED
  endDate CDATA #REQUIRED>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry key CDATA #REQUIRED value CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2025-01-01 12:00:00 -0800"/>
"""
DEVICE = ("&lt;&lt;HKDevice: 0x283a0c2d0&gt;, name:Apple Watch, manufacturer:Apple Inc., "
          "model:Watch, hardware:Watch6,2, software:9.6.3&gt;")
KINDS = ["Yoga", "Flexibility", "Running", "Walking", "Cycling", "Pilates"]


def generate(path: Path, target_bytes: int, seed: int = 0) -> dict[str, int]:
    """Write an export of about ``target_bytes``; return element counts (workouts by kind)."""
    rnd = random.Random(seed)
    moment = datetime(2015, 1, 1, 6, 0, 0)
    counts: dict[str, int] = {"records": 0}
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        chunk: list[str] = []
        while written < target_bytes:
            moment += timedelta(seconds=rnd.randint(30, 300))
            stamp = moment.strftime("%Y-%m-%d %H:%M:%S -0800")
            counts["records"] += 1
            if counts["records"] % 3000 == 0:
                kind = rnd.choice(KINDS)
                counts[kind] = counts.get(kind, 0) + 1
                line = (f' <Workout workoutActivityType="HKWorkoutActivityType{kind}" '
                        f'duration="{rnd.uniform(2, 45):.6f}" durationUnit="min" sourceName="Watch" '
                        f'device="{DEVICE}" startDate="{stamp}" endDate="{stamp}">\n'
                        '  <MetadataEntry key="HKTimeZone" value="America/Los_Angeles"/>\n'
                        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="{stamp}"'
                        f' endDate="{stamp}" average="92.5" minimum="65" maximum="125" unit="count/min"/>\n'
                        " </Workout>\n")
            elif counts["records"] % 5 == 0:
                line = (' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" '
                        f'sourceVersion="9.6.3" device="{DEVICE}" unit="count/min" creationDate="{stamp}" '
                        f'startDate="{stamp}" endDate="{stamp}" value="{rnd.randint(50, 150)}">\n'
                        '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n'
                        " </Record>\n")
            else:
                line = (' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" '
                        f'sourceVersion="17.1" device="{DEVICE}" unit="count" creationDate="{stamp}" '
                        f'startDate="{stamp}" endDate="{stamp}" value="{rnd.randint(1, 500)}"/>\n')
            chunk.append(line)
            written += len(line)
            if len(chunk) >= 5000:  # stream to disk: the generator itself stays small
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write("</HealthData>\n")
    return counts


def peak_rss_kib() -> int:
    """Peak RSS of this process in KiB.

    Linux's VmHWM belongs to the address space created by exec; ``ru_maxrss`` is inherited
    from the parent across fork/exec, so it is only the fallback (macOS reports it in bytes).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def import_once(path: str) -> None:
    """Child process: import ``path`` and print timings as JSON."""
    from backanalytics.importers.apple_health import import_apple_health

    before = peak_rss_kib()  # the interpreter + pandas, before reading anything
    started = time.perf_counter()
    result = import_apple_health(path)
    elapsed = time.perf_counter() - started
    print(json.dumps({"elapsed_s": elapsed, "peak_rss_kib": peak_rss_kib(), "rss_before_kib": before,
                      "rows": len(result.log), "skipped": result.skipped["reason"].tolist()}))


def measure(path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--import-only", str(path)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[500.0], help="file sizes in MB")
    parser.add_argument("--zip", action="store_true", help="also import from a deflated export.zip")
    parser.add_argument("--import-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_only:
        import_once(args.import_only)
        return
    print(f"{'input':<22}{'size MB':>10}{'gen s':>8}{'import s':>10}{'MB/s':>8}"
          f"{'peak RSS MB':>13}{'baseline MB':>13}{'rows':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            xml = Path(tmp) / f"{size:g}MB" / "apple_health_export" / "export.xml"
            xml.parent.mkdir(parents=True)
            started = time.perf_counter()
            counts = generate(xml, int(size * 1e6))
            generated_in = time.perf_counter() - started
            inputs = [("export.xml", xml)]
            if args.zip:
                archive = xml.parents[1] / "export.zip"
                with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.write(xml, "apple_health_export/export.xml")
                ratio = xml.stat().st_size / archive.stat().st_size
                inputs.append((f"export.zip ({ratio:.0f}x)", archive))
            stretching = sum(counts.get(k, 0) for k in ("Yoga", "Flexibility", "Pilates"))
            for label, path in inputs:
                got = measure(path)
                assert got["rows"] == stretching, (got["rows"], stretching)
                mb = xml.stat().st_size / 1e6
                print(f"{label:<22}{mb:>10.1f}{generated_in:>8.1f}{got['elapsed_s']:>10.1f}"
                      f"{mb / got['elapsed_s']:>8.1f}{got['peak_rss_kib'] / 1024:>13.1f}"
                      f"{got['rss_before_kib'] / 1024:>13.1f}{got['rows']:>7}")
            print(f"  {counts['records']:,} elements, workouts: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "records"))


if __name__ == "__main__":
    main()
