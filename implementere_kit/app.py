"""Start the guided app as a local web app with Voila.

``implementere-kit app`` (and ``make app``) run :func:`run_app`: Voila serves the app
notebook on 127.0.0.1 only, on a free port, without opening a browser, and the URL is
printed. Voila is told not to move to another port when the chosen one is taken
(``--Voila.port_retries=0``), so the printed URL is always the one served.

The app notebook ships inside the package (``implementere_kit/widgets/app.ipynb``;
``notebooks/app.ipynb`` is a byte-identical copy for people to open): nothing is read from
a source checkout and nothing is written to start the app. The app keeps its projects in a
workspace (:mod:`implementere_kit.store.workspace`), passed to the notebook as
``$IMPLEMENTERE_WORKSPACE``.

Kernels: one kernel is kept warm (Voila's preheated pool), so the first screen appears
without waiting for a kernel to start and import the toolkit. A kernel ends when its tab
closes: Voila's page asks for that on ``beforeunload``, sending the ``_xsrf`` cookie —
which Voila 0.5 never sets, so every such request is refused with 403 and each page load
leaves a kernel behind (voila-dashboards/voila#1458). :func:`serve` starts Voila with its
page handler setting that cookie. A kernel whose tab vanished without saying so (a crash,
a lost connection) is culled once it has been idle and unconnected for
:data:`CULL_IDLE_SECONDS`.

References
----------
Voila documentation, "Using Voilà", "Preheated kernels" and configuration options
(``Voila.ip``, ``port``, ``Voila.port_retries``, ``--no-browser``, ``preheat_kernel``,
``pool_size``); jupyter_server ``MappingKernelManager.cull_idle_timeout``,
``cull_interval`` and ``cull_connected``. https://voila.readthedocs.io/
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from ._data import package_file
from .errors import ImplementereError
from .store.workspace import PROJECT_ENV, WORKSPACE_ENV

__all__ = ["APP_CELLS", "PROJECT_ENV", "WORKSPACE_ENV", "app_notebook", "write_app_notebook",
           "app_command", "app_url", "free_port", "run_app", "serve", "CULL_IDLE_SECONDS"]

#: A kernel idle and without a browser connected this long is shut down.
CULL_IDLE_SECONDS = 300
_CULL_EVERY_SECONDS = 60

#: Code cells of the app notebook (``implementere_kit/widgets/app.ipynb`` holds the same).
APP_CELLS = (
    "# parameters: a project to open at start (a name in the workspace or a folder) and the\n"
    "# workspace folder; None means $IMPLEMENTERE_PROJECT / $IMPLEMENTERE_WORKSPACE\n"
    "project_path = None\nworkspace = None",
    "from implementere_kit.widgets import App\n\n"
    "app = App(project_path, workspace=workspace)",
    "app",
)
_HOST = "127.0.0.1"


def app_notebook() -> Path:
    """The app notebook shipped inside the package."""
    return package_file("widgets", "app.ipynb")


def write_app_notebook(folder) -> Path:
    """Write the app notebook (:data:`APP_CELLS`, kernel ``python3``) into ``folder``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# implementere-kit"),
                *(nbformat.v4.new_code_cell(src) for src in APP_CELLS)]
    for cell in nb.cells:
        cell.pop("id", None)
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.nbformat_minor = 4
    out = Path(folder) / "app.ipynb"
    nbformat.write(nb, out)
    return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return s.getsockname()[1]


def app_command(notebook=None, port: int | None = None, *, preheat: bool = True) -> list[str]:
    """The command line that serves ``notebook`` (default the app) with Voila.

    Examples
    --------
    >>> cmd = app_command("notebooks/app.ipynb", port=8866)
    >>> cmd[1:4]
    ['-m', 'implementere_kit.app', 'notebooks/app.ipynb']
    >>> cmd[4:8]
    ['--no-browser', '--Voila.ip=127.0.0.1', '--port=8866', '--Voila.port_retries=0']
    >>> [a for a in cmd if "cull_idle" in a or "preheat" in a]
    ['--MappingKernelManager.cull_idle_timeout=300', '--preheat_kernel=True']
    """
    nb = str(notebook) if notebook is not None else str(app_notebook())
    if port is None:
        port = free_port()
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ImplementereError(f"port must be a whole number 1–65535, found {port!r}")
    cmd = [sys.executable, "-m", "implementere_kit.app", nb, "--no-browser", f"--Voila.ip={_HOST}",
           f"--port={port}", "--Voila.port_retries=0",
           f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
           f"--MappingKernelManager.cull_interval={_CULL_EVERY_SECONDS}",
           "--MappingKernelManager.cull_connected=False"]
    if preheat:
        cmd += ["--preheat_kernel=True", "--pool_size=1"]
    return cmd


def app_url(command: list[str]) -> str:
    """The URL the command of :func:`app_command` serves on.

    Examples
    --------
    >>> app_url(app_command("app.ipynb", port=8866))
    'http://127.0.0.1:8866/'
    """
    port = next(a.split("=", 1)[1] for a in command if a.startswith("--port="))
    return f"http://{_HOST}:{port}/"


def run_app(notebook=None, port: int | None = None, project=None, *, workspace=None,
            stream=None, lang: str = "en") -> int:
    """Serve the app until stopped (Ctrl+C); print the URL first. Returns Voila's exit code.

    Parameters
    ----------
    notebook : path-like, optional
        Notebook to serve (default the app notebook).
    port : int, optional
        Port on 127.0.0.1 (default a free one).
    project : str or path-like, optional
        Project to open at start: a name in the workspace, or a folder (a relative one is
        read relative to the workspace). Default: the start screen.
    workspace : path-like, optional
        The folder of projects (default ``$IMPLEMENTERE_WORKSPACE``, else the user's data
        folder); made if missing.
    stream : file, optional
        Where the URL is printed (default standard output).
    lang : {"nb", "da", "en"}
        The language of the lines printed.
    """
    from .i18n import t
    from .store.workspace import Workspace

    cmd = app_command(notebook, port)
    env = dict(os.environ)
    ws = Workspace(workspace)
    env[WORKSPACE_ENV] = str(ws.path)
    if project is not None:
        folder = ws.resolve(project)
        if not (folder / "project.json").is_file():
            raise ImplementereError(f"no project at {folder}: project.json is missing")
        env[PROJECT_ENV] = str(folder)
    # A service manager stops us with SIGTERM: treat it like Ctrl+C so Voila (and its
    # kernels) stop with us instead of being left running. The handler is in place before
    # Voila starts and before the URL is printed, so no stop request can find us without it.
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, _interrupt) if main else None
    proc = None
    try:
        proc = subprocess.Popen(cmd, env=env)
        print(t("cli_app_serving", lang, url=app_url(cmd), workspace=ws.path),
              file=stream or sys.stdout, flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        if proc is None:
            return 130
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


def serve(argv: list[str] | None = None) -> None:
    """Run Voila (``argv`` as for ``voila``) with its page handler setting the ``_xsrf``
    cookie, so that closing a tab shuts its kernel down (see the module docstring)."""
    from voila.app import Voila
    from voila.handler import VoilaHandler

    prepare = VoilaHandler.prepare

    async def prepare_and_set_xsrf_cookie(self, *args, **kwargs):
        await prepare(self, *args, **kwargs)
        self.xsrf_token  # noqa: B018 - reading it sets the cookie the shutdown beacon sends

    VoilaHandler.prepare = prepare_and_set_xsrf_cookie
    Voila.launch_instance(argv)


if __name__ == "__main__":  # pragma: no cover - the process app_command starts
    serve(sys.argv[1:])
