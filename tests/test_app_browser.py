"""The app in a real browser: Voila serves notebooks/app.ipynb, headless Chromium ticks a
checklist item, and the project folder on disk must change.

Skipped only when /usr/bin/chromium is missing and $CI is unset; in CI it must run.
A screenshot is kept under the test's tmp_path and copied to .cache/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from implementere_kit import ImplementereError, Project
from implementere_kit.app import PROJECT_ENV, app_command, app_url, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / ".cache" / "artifacts"


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing but $CI is set: install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); runs in CI")


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Poll a static file (fetching the page itself would start a kernel)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "voila/static/voila.js", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"voila did not serve {url} in {timeout} s:\n{log.read_text()[-3000:]}")


def _answer(folder: Path, checklist: str, question: str):
    answers = Project.open(folder).plan.checklist_answers
    hit = answers[(answers["checklist_id"] == checklist) & (answers["question_id"] == question)]
    return None if hit.empty else bool(hit["done"].iloc[0])


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_tick_checklist_item_in_browser_saves_project(havnstrup, tmp_path):
    _need_browser()
    from playwright.sync_api import sync_playwright

    assert _answer(havnstrup, "ke1", "meets_need") is not True  # not ticked before
    generation = Project.open(havnstrup).meta["generation"]
    home = tmp_path / "home"
    env = {**os.environ, PROJECT_ENV: str(havnstrup), "HOME": str(home),
           "JUPYTER_CONFIG_DIR": str(home / "jupyter"), "JUPYTER_RUNTIME_DIR": str(home / "rt"),
           "IPYTHONDIR": str(home / "ipython"), "MPLCONFIGDIR": str(home / "mpl"),
           "MPLBACKEND": "Agg"}
    cmd = app_command(REPO / "notebooks" / "app.ipynb", port=free_port())
    url = app_url(cmd)
    log = tmp_path / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        _wait_for_server(url, proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1100})
                page.goto(url, timeout=120_000)
                box = page.locator(".ik-q-ke1-meets_need input[type=checkbox]")
                box.wait_for(state="visible", timeout=120_000)
                # The screen is Danish (the project's language): the guide's tab and the
                # accordion title of core element 1 are rendered widget labels.
                assert page.locator(".ik-language").count() >= 1
                box.click()
                saved = page.locator(".ik-box.ik-ok", has_text="Gemt.")
                saved.first.wait_for(state="visible", timeout=60_000)
                page.screenshot(path=str(tmp_path / "app.png"))
                box.scroll_into_view_if_needed()
                page.screenshot(path=str(tmp_path / "checklist.png"))
            finally:
                browser.close()
    finally:
        _stop(proc)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in ("app.png", "checklist.png"):
        shutil.copy(tmp_path / name, ARTIFACTS / f"app_browser_{name}")
    # The tick reached the project folder: a new save generation with the answer done.
    assert _answer(havnstrup, "ke1", "meets_need") is True
    assert Project.open(havnstrup).meta["generation"] > generation
    assert (tmp_path / "app.png").stat().st_size > 10_000


# -- the command line and the app notebook (no browser needed) -----------------------------
def test_app_command_serves_localhost_on_the_given_port_only():
    cmd = app_command("nb.ipynb", port=8871)
    assert cmd[1:4] == ["-m", "voila", "nb.ipynb"]
    assert {"--no-browser", "--Voila.ip=127.0.0.1", "--port=8871",
            "--Voila.port_retries=0"} <= set(cmd)
    assert app_url(cmd) == "http://127.0.0.1:8871/"
    free = app_command("nb.ipynb")  # a free port is chosen
    assert 0 < int(app_url(free).rsplit(":", 1)[1].strip("/")) < 65536
    for bad in (0, 70000, "80", True):
        with pytest.raises(ImplementereError, match="port"):
            app_command("nb.ipynb", port=bad)


def test_app_notebook_matches_the_cells_the_package_writes(tmp_path):
    import nbformat

    from implementere_kit.app import APP_CELLS, app_notebook, write_app_notebook

    repo = nbformat.read(app_notebook(), as_version=4)
    made = nbformat.read(write_app_notebook(tmp_path), as_version=4)
    code = [[c.source for c in nb.cells if c.cell_type == "code"] for nb in (repo, made)]
    assert code[0] == code[1] == list(APP_CELLS)
    for nb in (repo, made):
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert "parameters" in next(c for c in nb.cells if c.cell_type == "code").metadata["tags"]


def test_run_app_refuses_a_folder_without_project(tmp_path):
    from implementere_kit.app import run_app

    with pytest.raises(ImplementereError, match="project.json is missing"):
        run_app(project=tmp_path, port=free_port())


def test_run_app_prints_url_and_passes_the_project(havnstrup, monkeypatch):
    import io

    import implementere_kit.app as app_module

    seen = {}

    class FakeVoila:  # stands in for the server process: records how it was started
        def __init__(self, cmd, env):
            seen["cmd"], seen["env"] = cmd, env

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(app_module.subprocess, "Popen", FakeVoila)
    out = io.StringIO()
    assert app_module.run_app(port=8872, project=havnstrup, stream=out) == 0
    assert "http://127.0.0.1:8872/" in out.getvalue()
    assert seen["env"][PROJECT_ENV] == str(havnstrup.resolve())
    assert "--port=8872" in seen["cmd"] and seen["cmd"][3].endswith("app.ipynb")
