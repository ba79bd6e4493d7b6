"""Peak memory of the network indicators against the Arrow size of the data they read."""

from __future__ import annotations

import pyarrow.parquet as pq

from ._common import emit, network_packages, network_store, peak_rss_mb


def run(scale: str) -> None:
    import time

    from implementere_kit.exchange.network import NetworkStore

    path = network_store(scale)
    base_rss = peak_rss_mb()
    with NetworkStore(path) as store:
        n_rows = store.query("SELECT count(*) AS n FROM attendance")["n"][0]
        t0 = time.perf_counter()
        store.indicators()
        elapsed = time.perf_counter() - t0
    used = peak_rss_mb() - base_rss
    arrow_mb = 0.0
    for pkg in network_packages(scale):
        for name in ("attendance", "participants"):
            meta = pq.ParquetFile(pkg / f"{name}.parquet")
            arrow_mb += meta.read().nbytes / 2**20
    emit("network indicators memory", f"{n_rows:,} session rows", used, arrow_mb,
         "Arrow size of the data (MiB)", "≤ 1.5×", unit="MiB", seconds=elapsed,
         rows_per_s=round(n_rows / elapsed))
