"""Running a shipped report notebook into self-contained HTML (private; shared by the site,
network and meeting reports)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .._data import package_file
from ..errors import ImplementereError, Problem, ValidationError

__all__ = ["FORMATS", "ReportError", "notebook_path"]

FORMATS = ("html", "xlsx")
_NOTEBOOKS = {"evaluator": "evaluate_project.ipynb", "network": "network_report.ipynb",
              "meeting": "meeting_pack.ipynb"}
# The lab template without the scripts that would fetch require.js, MathJax, Mermaid and
# the widget manager from a CDN: a report must open offline, e.g. on a municipality's
# closed network, and must not make a reader's browser call anyone.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


class ReportError(ImplementereError):
    """A report notebook failed while running (the cell's error is in the message)."""


def notebook_path(kind: str) -> Path:
    """The shipped notebook of ``kind`` (``"evaluator"`` or ``"network"``)."""
    if kind not in _NOTEBOOKS:
        from ..errors import UnknownNameError

        raise UnknownNameError("report notebook", kind, _NOTEBOOKS)
    return package_file("report", f"notebooks/{_NOTEBOOKS[kind]}")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError([Problem("unknown report format", column="fmt",
                                       expected=" or ".join(FORMATS), found=repr(fmt))])


def _ipc_kernel_manager():
    """A kernel manager talking to its kernel over Unix sockets in the report's temp folder.

    Over the default TCP the kernel warns on every start that its traffic is unencrypted;
    a local socket file is private to this user and needs no network port at all.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            super().__init__(**kwargs)

    return IPCKernelManager


def _run_notebook(kind: str, parameters: dict, title: str) -> str:
    """Execute a shipped notebook with papermill and return it as self-contained HTML."""
    import nbformat
    import papermill as pm
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    with tempfile.TemporaryDirectory(prefix="ik-report-") as tmp:
        executed = Path(tmp) / "executed.ipynb"
        try:
            pm.execute_notebook(str(notebook_path(kind)), str(executed), parameters=parameters,
                                kernel_name="python3", language="python", cwd=tmp,
                                progress_bar=False, log_output=False,
                                kernel_manager_class=_ipc_kernel_manager())
        except pm.PapermillExecutionError as exc:
            raise ReportError(f"the {kind} report failed in cell {exc.exec_count}: "
                              f"{exc.ename}: {exc.evalue}") from None
        nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(template_name="lab", template_file="ik_report.html.j2",
                            extra_loaders=[DictLoader({"ik_report.html.j2": _TEMPLATE})],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"remove_cell"}),
                                   enabled=True)
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return html
