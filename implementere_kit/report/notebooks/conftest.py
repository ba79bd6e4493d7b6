"""The notebooks here are byte-identical copies of those in ``notebooks/`` (a test checks
it), which nbval already runs; running the copies as well would only double the time."""

collect_ignore_glob = ["*.ipynb"]
