"""Reports: per-client and caseload HTML/PDF summaries and CSV/Excel metric exports."""
