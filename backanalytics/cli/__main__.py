"""``python -m backanalytics.cli``: the same as the ``backanalytics`` command."""

from backanalytics.cli import main

main()
