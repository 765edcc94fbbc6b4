"""Shared fixtures: paths to the sample log and the third-party samples beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_logs.csv"
#: Real third-party exports (``../shared/realworld`` beside the repository; read, never copied in).
#: ``BACKANALYTICS_REALWORLD`` points elsewhere, e.g. when the clone is not beside ``shared/``.
REALWORLD = Path(os.environ.get("BACKANALYTICS_REALWORLD", ROOT.parent / "shared" / "realworld"))


def needs_realworld(*parts: str) -> pytest.MarkDecorator:
    """Skip (saying where it looked) when a third-party sample folder is not on this machine."""
    folder = REALWORLD.joinpath(*parts)
    return pytest.mark.skipif(not folder.is_dir(), reason=f"third-party samples not found at {folder} "
                              "(set BACKANALYTICS_REALWORLD)")


def sitecustomize_env(tmp_path: Path, source: str, pythonpath: str, **extra: str) -> dict[str, str]:
    """Environment for a child Python that first runs ``source`` as its ``sitecustomize`` (written
    under ``tmp_path``), with ``pythonpath`` after it and ``extra`` variables (Agg backend)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(source, encoding="utf-8")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), pythonpath]), "MPLBACKEND": "Agg", **extra}


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_log():
    from backanalytics import load_log

    return load_log(SAMPLE)
