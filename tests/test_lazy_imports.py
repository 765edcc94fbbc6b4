"""What loads when: --help never imports pandas, validate never imports scipy.stats or matplotlib,
summary and report never import scipy, and the lazy public API of ``backanalytics`` still answers
every name in ``__all__``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "scipy.stats", "matplotlib", "matplotlib.pyplot", "pandera", "weasyprint")


def loaded_after(code: str) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; which of HEAVY it left in sys.modules."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_backanalytics_loads_no_heavy_library():
    assert loaded_after("import backanalytics") == dict.fromkeys(HEAVY, False)


def test_help_loads_neither_pandas_nor_scipy_nor_matplotlib():
    code = ("import sys\nsys.argv = ['backanalytics', '--help']\nfrom backanalytics.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    assert loaded_after(code) == dict.fromkeys(HEAVY, False)


def test_validate_loads_neither_scipy_stats_nor_matplotlib():
    code = ("import sys\nsys.argv = ['backanalytics', 'validate', 'data/sample_logs.csv']\n"
            "from backanalytics.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass")
    loaded = loaded_after(code)
    assert loaded["pandas"] and loaded["pandera"]  # the probe did validate
    assert not loaded["scipy.stats"] and not loaded["matplotlib"] and not loaded["weasyprint"]


@pytest.mark.parametrize("command", [["summary", "data/sample_logs.csv"],
                                     ["report", "data/sample_logs.csv", "--client", "anna", "--format", "html"]])
def test_summary_and_report_load_no_scipy_at_all(command, tmp_path):
    # The normal tail and quantile come from the standard library (math.erfc, statistics.NormalDist).
    out = ["--out", str(tmp_path)] if command[0] == "report" else []
    code = (f"import sys\nsys.argv = ['backanalytics', *{command + out!r}]\n"
            "from backanalytics.cli import main\ntry:\n    main()\nexcept SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code")
    loaded = loaded_after(code)
    assert loaded["pandas"]  # the probe did run the command
    assert not loaded["scipy"]


def test_a_report_draws_its_charts_without_pyplot(tmp_path):
    # The report's figures are matplotlib Figures of their own; pyplot (and its style library,
    # 20 ms) is for the plot functions called without an ax, as in a notebook.
    code = ("import sys\nsys.argv = ['backanalytics', 'report', 'data/sample_logs.csv', '--client', 'anna', "
            f"'--format', 'html', '--jobs', '1', '--out', {str(tmp_path)!r}]\n"
            "from backanalytics.cli import main\ntry:\n    main()\nexcept SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code")
    loaded = loaded_after(code)
    assert loaded["matplotlib"] and (tmp_path / "client_anna.html").exists()  # the charts were drawn
    assert not loaded["matplotlib.pyplot"]


def test_the_report_code_imports_matplotlib_only_to_draw():
    # One client's report hands its chart worker the first chart before this process imports
    # matplotlib (0.3-0.4 s): the worker starts drawing that much sooner.
    code = ("import backanalytics as ba\nfrom backanalytics.report import batch, figures\n"
            "from backanalytics.report.content import compute_metrics\n"
            "metrics = compute_metrics(ba.validate('data/sample_logs.csv').valid)\n"
            "charts = figures._client_charts(metrics, 'anna')\n"
            "import sys\nassert 'matplotlib' not in sys.modules\ncharts[0][3]()")
    assert loaded_after(code)["matplotlib"]  # drawing the first chart imported it


def test_one_clients_report_starts_its_chart_worker_before_importing_pandas(tmp_path):
    # The worker imports pandas and matplotlib while this process imports pandas and reads the
    # log: started after this process's pandas, it was still importing when the metrics were ready.
    code = ("import sys\nimport backanalytics.report.chart_worker as cw\nseen = []\nstart = cw.start_chart_worker\n"
            "def spy(*args, **kwargs):\n    seen.append('pandas' in sys.modules)\n    return start(*args, **kwargs)\n"
            "cw.start_chart_worker = spy\n"
            "sys.argv = ['backanalytics', 'report', 'data/sample_logs.csv', '--client', 'anna', '--format', 'html', "
            f"'--out', {str(tmp_path)!r}]\n"
            "from backanalytics.cli import main\ntry:\n    main()\nexcept SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code\nassert seen == [False], seen")
    assert loaded_after(code)["pandas"] and (tmp_path / "client_anna.html").exists()


def test_metrics_need_no_scipy():
    code = ("import backanalytics as ba\nimport pandas as pd\n"
            "log = ba.validate('data/sample_logs.csv').valid\nba.outcomes(log)\n"
            "ba.effect_sizes([1, 2, 3], [4, 5, 6], 'decrease')")
    assert not loaded_after(code)["scipy"]


@pytest.mark.parametrize("name", __import__("backanalytics").__all__)
def test_every_public_name_resolves_and_is_listed(name):
    import backanalytics as ba

    assert getattr(ba, name) is not None
    assert name in dir(ba)


def test_public_names_are_the_same_objects_as_in_their_modules():
    import backanalytics as ba
    from backanalytics.metrics.outcomes import trends
    from backanalytics.schema import validate

    assert ba.validate is validate and ba.trends is trends


def test_unknown_name_is_an_attribute_error():
    import backanalytics as ba

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ba.nope  # noqa: B018
