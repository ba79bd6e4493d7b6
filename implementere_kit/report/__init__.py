"""HTML and Excel reports: an evaluator's report per project and a report of the network.

:func:`build_report` checks every parameter first (project, period, language, share-back
package), then runs the evaluator notebook with papermill in a temporary folder and turns
it into one self-contained HTML file with nbconvert — no code cells, figures embedded as
base64 PNG, no scripts fetched from the internet — written atomically. ``fmt="xlsx"``
writes the same tables to an Excel workbook without running a notebook.

The notebooks live inside the package (``implementere_kit/report/notebooks/``), so an
installed toolkit finds them; ``notebooks/evaluator/evaluate_project.ipynb`` and
``notebooks/network/network_report.ipynb`` in the repository are byte-identical copies for
people to open, and a test keeps them so.

Examples
--------
>>> from implementere_kit.report import parse_period
>>> [d.date().isoformat() for d in parse_period("2025-03")]
['2025-03-01', '2025-03-31']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .._io import atomic_write_bytes
from ..errors import ImplementereError, Problem, ValidationError
from ._demo import demo_network_store, demo_project_folder
from ._render import FORMATS, ReportError, _check_format, _run_notebook, notebook_path
from ._sections import MarkdownText
from ._xlsx import write_xlsx
from .evaluation import (
    Evaluation,
    evaluate,
    parse_period,
    project_summary,
    what_to_look_at_next,
)
from .network import NetworkReport, network_evaluation

__all__ = ["build_report", "build_network_report", "build_reports", "write_xlsx", "evaluate",
           "Evaluation", "network_evaluation", "NetworkReport", "parse_period",
           "project_summary", "what_to_look_at_next", "notebook_path", "ReportError",
           "MarkdownText", "FORMATS", "demo_project_folder", "demo_network_store"]

def build_report(project_path, out, *, period: str | None = None, lang: str | None = None,
                 share_back=None, fmt: str = "html", as_of=None, network=None) -> Path:
    """Write the evaluation report of one project.

    Parameters
    ----------
    project_path : path
        The project folder.
    out : path
        The file to write (replaced atomically).
    period : str, optional
        ``"2025"``, ``"2025-03"`` or ``"2025-01:2025-06"``; default the whole project.
    lang : {"nb", "da", "en"}, optional
        Default the project's language.
    share_back : path, optional
        The share-back package the network sent this site (adds the comparison section).
    fmt : {"html", "xlsx"}
        ``html`` runs the evaluator notebook; ``xlsx`` writes the report's tables only.
    as_of : date, optional
        The day the report describes (default the period's end or today).
    network : path, optional
        The network store (``*.duckdb``): the barriers section then adds what helped other
        sites against the same kinds of barrier, with their cases (HTML only; the
        workbook holds the site's own tables).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ImplementereError
        Before anything runs: missing project, unknown language or format, a period not
        understood or without data, a bad share-back package. :class:`ReportError` if the
        notebook fails while running.

    Examples
    --------
    The tables of the generated example project as a workbook (``fmt="html"`` runs the
    evaluator notebook instead, a few seconds):

    >>> import tempfile, openpyxl
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = build_report(demo_project_folder(), tmp.name + "/havnstrup.xlsx", fmt="xlsx",
    ...                    period="2024", lang="en")
    >>> openpyxl.load_workbook(out, read_only=True).sheetnames[:4]
    ['Summary', 'Measures', 'Progress by phase', 'Overdue']
    >>> tmp.cleanup()
    """
    _check_format(fmt)
    if share_back is not None and not isinstance(share_back, str | Path):
        raise ValidationError([Problem("share_back must be a path to a package",
                                       column="share_back", expected="a path",
                                       found=type(share_back).__name__)])
    network = _network_store(network)
    ev = evaluate(project_path, period=period, lang=lang, share_back=share_back, as_of=as_of)
    return _write(ev, out, fmt, share_back, network)


def _network_store(network) -> Path | None:
    """The network store a site report takes its advice from, checked before anything runs."""
    if network is None:
        return None
    if not isinstance(network, str | Path):
        raise ValidationError([Problem("network must be a path to a network store",
                                       column="network", expected="a path to a *.duckdb file",
                                       found=type(network).__name__)])
    path = Path(network)
    if not path.is_file():
        raise ValidationError([Problem("no network store there", file=str(path),
                                       column="network", expected="a *.duckdb file",
                                       found="nothing" if not path.exists() else "a folder")])
    return path.resolve()


def _notebook_job(ev: Evaluation, share_back, network=None) -> tuple[dict, str]:
    """Parameters and title of the evaluator notebook for a checked evaluation."""
    from ..i18n import t

    params = {"project_path": str(Path(ev.project.path).resolve()), "period": ev.period,
              "lang": ev.lang, "as_of": ev.as_of.date().isoformat(),
              "share_back": None if share_back is None else str(Path(share_back).resolve()),
              "network": None if network is None else str(network)}
    title = t("report_title", ev.lang, intervention=ev.intervention.label(ev.lang),
              site=f"{ev.project.site} {ev.project.site_name}".strip())
    return params, title


def _write(ev: Evaluation, out, fmt: str, share_back, network=None) -> Path:
    """Write a checked evaluation: its tables (xlsx) or the notebook run on it (html)."""
    if fmt == "xlsx":
        return write_xlsx(ev.export_tables(), out, lang=ev.lang)
    params, title = _notebook_job(ev, share_back, network)
    return atomic_write_bytes(out, _run_notebook("evaluator", params, title).encode("utf-8"))


def build_network_report(store_path, out, *, lang: str = "nb", fmt: str = "html",
                         as_of=None) -> Path:
    """Write the network report of a network store (DuckDB file) as HTML or Excel, as of
    ``as_of`` (default today; the same day in both)."""
    _check_format(fmt)
    report = network_evaluation(store_path, lang=lang, as_of=as_of)
    if fmt == "xlsx":
        return write_xlsx(report.export_tables(), out, lang=lang)
    from ..i18n import t

    params = {"store_path": str(Path(store_path).resolve()), "lang": lang,
              "as_of": report.as_of.date().isoformat()}
    html = _run_notebook("network", params, t("network_title", lang))
    return atomic_write_bytes(out, html.encode("utf-8"))


def _share_back_for(project, share_back, share_back_dir):
    if share_back_dir is None:
        return share_back
    candidate = Path(share_back_dir) / f"share-back-{project.site}.zip"
    return candidate if candidate.exists() else None


def build_reports(projects: Iterable, out_dir, *, period: str | None = None,
                  lang: str | None = None, share_back=None, share_back_dir=None,
                  fmt: str = "html", as_of=None, progress: bool = True,
                  network=None) -> list[Path]:
    """Reports of several projects into ``out_dir`` (``<folder name>.<fmt>`` each).

    Every project is checked before the first report is built, and the problems of all
    of them are raised together. ``share_back_dir`` is a folder of share-back packages
    named ``share-back-<site>.zip`` (as :meth:`NetworkStore.share_back` writes them); a
    site without one gets no comparison section. ``network`` is as in
    :func:`build_report`.
    """
    from tqdm.auto import tqdm

    from ..store.project import Project

    _check_format(fmt)
    network = _network_store(network)
    folders = [Path(p.path if isinstance(p, Project) else p) for p in projects]
    problems, jobs = [], []
    for folder in folders:
        try:
            project = Project.open(folder)
            sb = _share_back_for(project, share_back, share_back_dir)
            jobs.append((folder, sb, evaluate(project, period=period, lang=lang,
                                              share_back=sb, as_of=as_of)))
        except ValidationError as exc:
            problems += [Problem(p.message, file=p.file or str(folder), resource=p.resource,
                                 row=p.row, column=p.column, expected=p.expected, found=p.found)
                         for p in exc.problems]
        except ImplementereError as exc:
            problems.append(Problem(str(exc), file=str(folder)))
    if problems:
        raise ValidationError(problems)
    out_dir = Path(out_dir)
    targets, used = [], set()
    for folder, _, _ in jobs:
        name = folder.name
        while name in used:  # two folders of the same name in different places
            name += "_"
        used.add(name)
        targets.append(out_dir / f"{name}.{fmt}")
    if fmt == "xlsx" or len(jobs) < 2:
        for (_, sb, ev), target in tqdm(list(zip(jobs, targets, strict=True)), desc="reports",
                                        unit="report", disable=not progress):
            _write(ev, target, fmt, sb, network)
        return targets
    # Reports run side by side in worker processes (papermill changes the working folder
    # of its process, so threads would trip over each other); most of a report's time is a
    # kernel starting and importing, which overlaps well even on two cores.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(len(jobs), max(2, os.cpu_count() or 1), 4)
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool, \
            tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress) as bar:
        futures = [pool.submit(_run_notebook, "evaluator", *_notebook_job(ev, sb, network))
                   for _, sb, ev in jobs]
        for future, target in zip(futures, targets, strict=True):
            atomic_write_bytes(target, future.result().encode("utf-8"))
            bar.update()
    return targets


# The TILE sections of the site report and the network meeting pack (issue 14).
from ._tile_sections import tile_section  # noqa: E402
from .meeting import MeetingReport, build_meeting_pack, meeting_report  # noqa: E402

__all__ += ["build_meeting_pack", "meeting_report", "MeetingReport", "tile_section"]
