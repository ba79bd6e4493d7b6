"""Start the guide as a local web app with Voila.

``implementere-kit app`` (and ``make app``) run :func:`run_app`: Voila serves the app
notebook on 127.0.0.1 only, on a free port, without opening a browser, and the URL is
printed. Voila is told not to move to another port when the chosen one is taken
(``--Voila.port_retries=0``), so the printed URL is always the one served.

The app notebook is ``notebooks/app.ipynb`` in a source checkout; an installed package has
no ``notebooks/`` folder, so the same cells (:data:`APP_CELLS`) are written to a temporary
notebook instead.

References
----------
Voila documentation, "Using Voilà" and configuration options (``Voila.ip``, ``port``,
``Voila.port_retries``, ``--no-browser``), https://voila.readthedocs.io/
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .errors import ImplementereError

__all__ = ["APP_CELLS", "PROJECT_ENV", "app_notebook", "write_app_notebook", "app_command",
           "app_url", "free_port", "run_app"]

#: Environment variable naming the project folder for the notebooks and the app.
PROJECT_ENV = "IMPLEMENTERE_PROJECT"

#: Code cells of the app notebook (``notebooks/app.ipynb`` holds the same).
APP_CELLS = (
    "# parameters\nproject_path = None",
    "from implementere_kit.widgets import App, notebook_project\n\n"
    "project = notebook_project(project_path)\napp = App(project)",
    "app",
)
_HOST = "127.0.0.1"


def app_notebook() -> Path:
    """The app notebook: the checkout's ``notebooks/app.ipynb``, else a generated copy."""
    repo = Path(__file__).resolve().parent.parent / "notebooks" / "app.ipynb"
    if repo.is_file():
        return repo
    return write_app_notebook(tempfile.mkdtemp(prefix="implementere-app-"))


def write_app_notebook(folder) -> Path:
    """Write the app notebook (:data:`APP_CELLS`, kernel ``python3``) into ``folder``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in APP_CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    out = Path(folder) / "app.ipynb"
    nbformat.write(nb, out)
    return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return s.getsockname()[1]


def app_command(notebook=None, port: int | None = None) -> list[str]:
    """The command line that serves ``notebook`` (default the app) with Voila.

    Examples
    --------
    >>> cmd = app_command("notebooks/app.ipynb", port=8866)
    >>> cmd[1:4]
    ['-m', 'voila', 'notebooks/app.ipynb']
    >>> cmd[4:]
    ['--no-browser', '--Voila.ip=127.0.0.1', '--port=8866', '--Voila.port_retries=0']
    """
    nb = str(notebook) if notebook is not None else str(app_notebook())
    if port is None:
        port = free_port()
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ImplementereError(f"port must be a whole number 1–65535, found {port!r}")
    return [sys.executable, "-m", "voila", nb, "--no-browser", f"--Voila.ip={_HOST}",
            f"--port={port}", "--Voila.port_retries=0"]


def app_url(command: list[str]) -> str:
    """The URL the command of :func:`app_command` serves on.

    Examples
    --------
    >>> app_url(app_command("app.ipynb", port=8866))
    'http://127.0.0.1:8866/'
    """
    port = next(a.split("=", 1)[1] for a in command if a.startswith("--port="))
    return f"http://{_HOST}:{port}/"


def run_app(notebook=None, port: int | None = None, project=None, *, stream=None) -> int:
    """Serve the app until stopped (Ctrl+C); print the URL first. Returns Voila's exit code.

    Parameters
    ----------
    notebook : path-like, optional
        Notebook to serve (default the app notebook).
    port : int, optional
        Port on 127.0.0.1 (default a free one).
    project : path-like, optional
        Project folder to open, passed to the notebook as ``$IMPLEMENTERE_PROJECT``;
        without it the variable as already set is used, else a demo project is made.
    stream : file, optional
        Where the URL is printed (default standard output).
    """
    cmd = app_command(notebook, port)
    env = dict(os.environ)
    if project is not None:
        folder = Path(project).resolve()
        if not (folder / "project.json").is_file():
            raise ImplementereError(f"no project at {folder}: project.json is missing")
        env[PROJECT_ENV] = str(folder)
    print(f"implementere-kit app: {app_url(cmd)}  (Ctrl+C stops it)",
          file=stream or sys.stdout, flush=True)
    proc = subprocess.Popen(cmd, env=env)
    # A service manager stops us with SIGTERM: treat it like Ctrl+C so Voila (and its
    # kernels) stop with us instead of being left running.
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        if main:
            signal.signal(signal.SIGTERM, old)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
