"""Driving the app in a real browser: servers (Voila, JupyterLab), Chromium, and the steps a
municipal user takes — shared by the browser tests and the app benchmark.

Known to work here (``/work/shared/testing.md``): Debian's chromium launched by Playwright,
Voila and JupyterLab on a free localhost port, waiting for a static file before the page.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / ".cache" / "artifacts"
LONG = 180_000  # ms: a page, a kernel or a report on a loaded two-core machine

# Files as municipalities export them: headings in Danish or Norwegian, ";" separators,
# dd.mm.yyyy dates, decimal commas, ja/nej, a byte-order mark.
CSV = {
    "da": {"participants": "Deltager-ID;Kommunenr;Gruppe;Startdato\n"
                           "F1;{site};G1;06.01.2025\nF2;{site};G1;06.01.2025\n"
                           "F3;{site};G1;06.01.2025\n",
           "sessions": "Kommunenr;Gruppe;Session;Dato;Varighed\n"
                       "{site};G1;1;13.01.2025;90\n{site};G1;2;20.01.2025;85,5\n",
           "attendance": "Deltager-ID;Session;Mødt\nF1;1;ja\nF2;1;nej\nF3;1;ja\nF1;2;ja\n"
                         "F2;2;ja\nF3;2;nej\nF9;2;ja\n"},
    "nb": {"participants": "Deltaker-ID;Kommunenr;Gruppe;Startdato\n"
                           "F1;{site};G1;06.01.2025\nF2;{site};G1;06.01.2025\n"
                           "F3;{site};G1;06.01.2025\n",
           "sessions": "Kommunenr;Gruppe;Samling;Dato;Varighet\n"
                       "{site};G1;1;13.01.2025;90\n{site};G1;2;20.01.2025;85,5\n",
           "attendance": "Deltaker-ID;Samling;Møtt\nF1;1;ja\nF2;1;nei\nF3;1;ja\nF1;2;ja\n"
                         "F2;2;ja\nF3;2;nei\nF9;2;ja\n"},
}


def write_csvs(folder: Path, lang: str, site: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, text in CSV[lang].items():
        out[name] = folder / f"{name}.csv"
        out[name].write_bytes(text.replace("{site}", site).encode("utf-8-sig"))
    return out


def clean_env(tmp: Path, **extra) -> dict:
    """Environment for a server: its home, Jupyter and matplotlib folders under ``tmp``."""
    home = tmp / "home"
    return {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / "jupyter"),
            "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(home / "rt"), "IPYTHONDIR": str(home / "ipython"),
            "MPLCONFIGDIR": str(home / "mpl"), "MPLBACKEND": "Agg", **extra}


def wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Poll a static file (fetching the page itself would start a kernel)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)  # polling a server that is starting; not a timing assumption
    raise RuntimeError(f"no server at {url} in {timeout} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def server(cmd: list[str], env: dict, cwd: Path, ready_url: str, log: Path):
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        wait_for_server(ready_url, proc, log)
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def browser(lang: str = "nb"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--lang={lang}"])
        try:
            context = b.new_context(viewport={"width": 1280, "height": 1000},
                                    locale={"nb": "nb-NO", "da": "da-DK"}.get(lang, "en-GB"))
            yield context
        finally:
            b.close()


def keep_screenshot(page, tmp: Path, name: str, at=None) -> Path:
    """A screenshot of the page (scrolled to the element ``at``), kept in .cache/artifacts."""
    path = tmp / f"{name}.png"
    if at is not None:
        at.scroll_into_view_if_needed()
    page.screenshot(path=str(path), full_page=at is None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / f"app_{name}.png")
    return path


def kernels(server_proc) -> list:
    """The kernel processes a server started (ipykernel), oldest first."""
    import psutil

    kids = psutil.Process(server_proc.pid).children(recursive=True)
    found = []
    for k in kids:
        with contextlib.suppress(psutil.Error):
            if "ipykernel_launcher" in " ".join(k.cmdline()):
                found.append(k)
    return sorted(found, key=lambda k: k.create_time())


# -- what a user does, in the screens' own words ---------------------------------------------
class AppUser:
    """Drives the app's screens through the browser, finding every control by its label in
    ``lang`` (or its class), and collects the text it saw on the way."""

    def __init__(self, page, lang: str):
        from implementere_kit.i18n import t

        self.page, self.lang = page, lang
        self.t = lambda key, **kw: t(key, lang, **kw)
        self.seen: list[str] = []

    def look(self) -> str:
        text = self.page.locator(".widget-tab-contents").first.inner_text()
        self.seen.append(text)
        return text

    def wait_for_start(self) -> None:
        self.page.locator(".ik-language").first.wait_for(state="visible", timeout=LONG)

    def language(self) -> None:
        name = {"nb": "Norsk bokmål", "da": "Dansk", "en": "English"}[self.lang]
        self.page.locator(".ik-language button", has_text=name).click()
        self.page.locator("button.ik-create", has_text=self.t("ui_create")).wait_for(
            timeout=LONG)

    def tab(self, key: str) -> None:
        bar = self.page.locator(".widget-tab-bar").first
        bar.locator(".lm-TabBar-tab", has_text=self.t(f"ui_tab_{key}")).click()

    def create(self, site_name: str, site: str, country: str, intervention: str) -> None:
        p = self.page
        p.locator(".ik-site-name input").fill(site_name)
        p.locator(".ik-site input").fill(site)
        p.locator(".ik-country select").select_option(
            label=f"{self.t(f'country_{country}')} ({country})")
        p.locator(".ik-intervention select").select_option(label=intervention)
        p.locator("button.ik-create").click()
        p.locator(".ik-notice .ik-ok").wait_for(timeout=LONG)

    def tick(self, checklist: str, question: str) -> None:
        box = self.page.locator(f".ik-q-{checklist}-{question} input[type=checkbox]")
        box.wait_for(timeout=LONG)
        box.click()
        saved = re.compile(rf"^\s*{re.escape(self.t('ui_saved'))}\s*$")
        self.page.locator(".ik-box.ik-ok:visible").filter(has_text=saved).first.wait_for(
            timeout=LONG)

    def upload(self, button: str, path: Path) -> None:
        with self.page.expect_file_chooser(timeout=LONG) as chooser:
            self.page.locator(f"button.{button}").click()
        chooser.value.set_files(str(path))

    def preview(self, table: str, path: Path) -> str:
        """Choose the table, upload the file and return the preview's summary line."""
        p = self.page
        p.locator(".ik-table-choice select").select_option(label=self.t(f"ui_table_{table}"))
        box = p.locator(".ik-preview", has_text=path.name)
        self.upload("ik-upload", path)
        box.wait_for(timeout=LONG)
        return box.inner_text()

    def store(self) -> str:
        p = self.page
        p.locator("button.ik-import").click()
        done = p.locator(".ik-box.ik-ok:visible", has_text=self.t("ui_imported_counts", new=0,
                                                           changed=0, unchanged=0,
                                                           refused=0).split(":")[0])
        done.first.wait_for(timeout=LONG)
        return done.first.inner_text()

    def export(self) -> str:
        self.page.locator("button.ik-export").click()
        verdict = self.page.locator(".ik-box.ik-ok:visible",
                                    has=self.page.locator(".ik-download"))
        verdict.wait_for(timeout=LONG)
        return verdict.inner_text()
