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

from implementere_kit import Project
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


def test_tick_checklist_item_in_browser_saves_project(odense, tmp_path):
    _need_browser()
    from playwright.sync_api import sync_playwright

    assert _answer(odense, "ke1", "meets_need") is not True  # not ticked before
    generation = Project.open(odense).meta["generation"]
    home = tmp_path / "home"
    env = {**os.environ, PROJECT_ENV: str(odense), "HOME": str(home),
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
                page.screenshot(path=str(tmp_path / "app.png"), full_page=False)
            finally:
                browser.close()
    finally:
        _stop(proc)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "app.png", ARTIFACTS / "app_browser.png")
    # The tick reached the project folder: a new save generation with the answer done.
    assert _answer(odense, "ke1", "meets_need") is True
    assert Project.open(odense).meta["generation"] > generation
    assert (tmp_path / "app.png").stat().st_size > 10_000
