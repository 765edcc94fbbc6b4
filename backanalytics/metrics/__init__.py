"""Metrics over the canonical log: consistency, outcomes, flags and single-case effect sizes."""
