"""Shortcuts on the paths people wait for change nothing they are shown.

- Validation loads pandera's checks with ``hypothesis`` hidden (it is only for data synthesis):
  a fresh ``validate`` does not import it, finds the same problems as a process that imported
  hypothesis first, and leaves ``import hypothesis`` working.
- Report charts are laid out once and drawn once: the PNG has the size of what is drawn (no
  label cut off at the figure's edge).
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BAD_LOG = """client_id,date,stretch,hold_s,reps,pain,flexibility
anna,2026-08-10,Child's Pose,30,2,7,3
anna,2026-08-11,Child's Pose,30,2,11,3
bob,2026-08-12,Cat-Cow,-5,2,4,12
,2026-08-12,Cat-Cow,30,2,4,5
"""


def validate_in_fresh_process(path: Path, first: str = "") -> dict[str, object]:
    code = (f"{first}\nimport json, sys\nimport backanalytics as ba\nr = ba.validate({str(path)!r})\n"
            "print(json.dumps({'summary': r.summary(), 'failures': r.failures.astype(str).values.tolist(),"
            " 'valid': len(r.valid), 'hypothesis': 'hypothesis' in sys.modules}))\n"
            "import hypothesis\nprint('hypothesis importable')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "hypothesis importable"
    return json.loads(lines[-2])


def test_validation_without_hypothesis_finds_the_same_problems(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_LOG, encoding="utf-8")
    plain = validate_in_fresh_process(path)
    with_hypothesis = validate_in_fresh_process(path, first="import hypothesis")
    assert plain["hypothesis"] is False and with_hypothesis["hypothesis"] is True
    assert plain["valid"] == 1  # only anna's first row is clean
    assert len(plain["failures"]) >= 4  # pain 11, hold -5, flexibility 12, missing client
    assert {k: v for k, v in plain.items() if k != "hypothesis"} == \
        {k: v for k, v in with_hypothesis.items() if k != "hypothesis"}


def png_size(src: str) -> tuple[int, int]:
    png = base64.b64decode(src.split(",", 1)[1])
    return struct.unpack(">II", png[16:24])


def test_a_chart_whose_labels_overflow_the_figure_is_saved_whole():
    from matplotlib.figure import Figure

    from backanalytics.report import figures

    fig = figures.new_figure((3.0, 2.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    # A figure text running off the right edge: the layout does not move it, the saved box must hold it.
    fig.text(0.9, 0.5, "a label far wider than this small figure")
    width, _ = png_size(figures.to_data_uri(fig))
    assert width > 3.0 * figures.DPI + 100  # the text runs about 3 inches past the axes
    plain = Figure(figsize=(3.0, 2.0), dpi=figures.DPI)
    plain.add_subplot().plot([0, 1], [0, 1])
    # A figure not made by new_figure (no layout engine) takes matplotlib's own tight save.
    assert png_size(figures.to_data_uri(plain))[0] <= 3.0 * figures.DPI
