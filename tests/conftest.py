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
REALWORLD = ROOT.parent / "shared" / "realworld"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_log():
    from backanalytics import load_log

    return load_log(SAMPLE)
