"""The app's first screen in a real browser, beside a bare Voila page with one widget.

Ours: ``implementere-kit app``'s Voila server (a kernel kept warm, the workspace's start
screen) — from navigation until the language switch is visible. Baseline: plain Voila
serving a notebook that shows one button — until the button is visible. Both servers run
side by side and the page loads alternate, each in a fresh browser page, after the
server is ready for the next visitor (its warm kernel refilled). Also reported: the app
without a warm kernel (what the preheating saves).
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ._common import SCALES, emit


def _bare_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as W\nW.Button(description='ok')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = folder / "bare.ipynb"
    nbformat.write(nb, path)
    return path


def _pool_filled(log: Path) -> int:
    return len(re.findall(r"Kernel pool of .* is filled", log.read_text(errors="replace")))


def _load(context, url: str, selector: str) -> float:
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url, timeout=180_000)
    page.locator(selector).first.wait_for(state="visible", timeout=180_000)
    elapsed = time.perf_counter() - t0
    page.close(run_before_unload=True)
    return elapsed


def _wait_for_pool(log: Path, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _pool_filled(log) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def run(scale: str) -> None:
    from implementere_kit.app import app_command, app_url, free_port
    from tests._browser import CHROMIUM, browser, clean_env, server

    if not Path(CHROMIUM).exists():
        emit("app: first screen", "browser", 0.0, None, "–", skipped="no chromium")
        return
    repeat = max(3, SCALES[scale]["repeat"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = clean_env(tmp, IMPLEMENTERE_WORKSPACE=str(tmp / "ws"))
        ours_cmd = app_command(port=free_port())
        cold_cmd = app_command(port=free_port(), preheat=False)
        bare_nb = _bare_notebook(tmp)
        bare_port = free_port()
        bare_cmd = [sys.executable, "-m", "voila", str(bare_nb), "--no-browser",
                    "--Voila.ip=127.0.0.1", f"--port={bare_port}", "--Voila.port_retries=0"]
        logs = {k: tmp / f"{k}.log" for k in ("ours", "cold", "bare")}
        urls = {"ours": app_url(ours_cmd), "cold": app_url(cold_cmd),
                "bare": f"http://127.0.0.1:{bare_port}/"}
        times = {k: [] for k in urls}
        with server(ours_cmd, env, tmp, urls["ours"] + "voila/static/voila.js", logs["ours"]), \
                server(cold_cmd, env, tmp, urls["cold"] + "voila/static/voila.js",
                       logs["cold"]), \
                server(bare_cmd, env, tmp, urls["bare"] + "voila/static/voila.js",
                       logs["bare"]), browser("nb") as context:
            _wait_for_pool(logs["ours"], 1)
            # one warm-up of each (browser cache, first imports from disk)
            for k, sel in (("ours", ".ik-language"), ("cold", ".ik-language"),
                           ("bare", ".widget-button")):
                _load(context, urls[k], sel)
            for i in range(repeat):
                _wait_for_pool(logs["ours"], i + 2)  # ready for the next visitor
                times["ours"].append(_load(context, urls["ours"], ".ik-language"))
                times["bare"].append(_load(context, urls["bare"], ".widget-button"))
                times["cold"].append(_load(context, urls["cold"], ".ik-language"))
    med = {k: statistics.median(v) for k, v in times.items()}
    emit("app: first screen", "start screen, warm kernel", med["ours"], med["bare"],
         "bare Voila page, one widget", "≤ 1.5×")
    emit("app: first screen (no warm kernel)", "start screen", med["cold"], med["bare"],
         "bare Voila page, one widget", "reported only")
