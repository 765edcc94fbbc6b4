"""Cells: each raw cell as people write it -> its canonical value, or a problem of its row.

``parse`` holds the vectorised parsers of one column (numbers, ISO dates, sides, flags),
``column`` a column parsed once per distinct cell, ``log`` every canonical column of a log.
"""
