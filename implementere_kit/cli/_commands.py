"""What each command does: check its paths, call the library, print the result.

Tables a person reads (``status``, ``plan list``) are printed in the project's language
(or ``--lang``) with labelled headings and values formatted for that language.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..i18n import display_frame, problem_text, t
from ._args import LANG_OF_COUNTRY, UsageError, output_format, printable
from ._lang import cli_lang, tr

__all__ = ["cmd_new", "cmd_status", "cmd_export", "cmd_validate", "cmd_merge", "cmd_benchmark",
           "cmd_report", "cmd_app", "cmd_demo", "table_text"]

_REPORT_FORMATS = {".html": "html", ".xlsx": "xlsx"}


def table_text(df) -> str:
    """A table as aligned text (every row, no index)."""
    import pandas as pd

    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.width", 200, "display.max_colwidth", 60):
        return df.to_string(index=False)


def _existing_store(path: str) -> Path:
    """A network store that must exist already (it is never made by mistake)."""
    p = Path(path)
    if not p.is_file():
        raise UsageError("cli_no_store", path=path)
    return p


# -- projects ---------------------------------------------------------------------------
def cmd_new(args) -> int:
    from ..store.project import Project

    lang = args.lang or LANG_OF_COUNTRY[args.country]
    folder = Path(args.path)
    if (folder / "project.json").exists():
        raise UsageError("cli_new_exists", folder=folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError("cli_new_not_a_folder", folder=folder)
    project = Project.create(folder, site=args.site, country=args.country,
                             intervention=args.intervention, site_name=args.name or "",
                             start=args.start, language=lang)
    print(t("cli_created", lang, site=f"{project.site} {project.site_name}".strip(),
            intervention=project.intervention.label(lang), n=len(project.plan),
            path=project.path))
    return 0


def cmd_status(args) -> int:
    from ..plans.progress import sic_summary
    from ..store.overview import plan_view, status_view
    from ..store.project import Project

    project = Project.open(args.project)
    lang = args.lang or project.language
    print(f"{project.site} {project.site_name} — {project.intervention.label(lang)}".replace(
        "  ", " "))
    print(table_text(status_view(project, lang, as_of=args.as_of)))
    late = plan_view(project, lang, as_of=args.as_of)
    late = late[late["overdue"]][["activity_id", "phase", "core_element", "title", "owner",
                                  "due"]]
    print()
    if len(late):
        print(t("cli_overdue_heading", lang, n=len(late)))
        print(table_text(display_frame(late, lang)))
    else:
        print(t("report_no_overdue", lang))
    events = project.sic_events()
    if len(events):
        summary = sic_summary(events)
        print()
        print(t("ui_dash_sic", lang))
        table = summary.drop(columns="basis")
        print(table_text(display_frame(
            table, lang, percent=[c for c in table if c.endswith("_proportion")])))
        # stages from the SIC list, or derived from the plan: then not comparable with norms
        for basis in dict.fromkeys(summary["basis"]):
            print(t(f"sic_basis_{basis}", lang))
    return 0


# -- exchange ---------------------------------------------------------------------------
def cmd_export(args) -> int:
    from ..exchange.aggregate import MIN_K, SAFE_K
    from ..exchange.package import export_package
    from ..store.project import Project

    out = Path(args.output)
    if out.suffix.lower() not in ("", ".zip") and not out.is_dir():
        raise UsageError("cli_export_output", path=args.output)
    if args.k < MIN_K:
        raise UsageError("cli_k_never", k=args.k, low=MIN_K, safe=SAFE_K)
    if args.k < SAFE_K and not args.allow_small_k:
        raise UsageError("cli_k_needs_flag", k=args.k, low=MIN_K, high=SAFE_K - 1, safe=SAFE_K)
    project = Project.open(args.project)
    written = export_package(project, out, level=args.level, fmt=args.format, k=args.k,
                             allow_small_k=args.allow_small_k)
    lang = project.language
    print(t("cli_export_written", lang, level=t(f"ui_level_{args.level}", lang).lower(),
            path=written, seq=project.meta["export_seq"]))
    return 0


def cmd_validate(args) -> int:
    from ..exchange.validate import validate_package

    problems = validate_package(args.package)
    lang = cli_lang()
    if problems:
        print(table_text(problems_frame(problems, lang)))
        print(printable(f"implementere-kit validate: {t('cli_error', lang)}: " + t(
            "cli_package_invalid", lang, path=args.package, n=len(problems))), file=sys.stderr)
        return 1
    print(t("cli_package_valid", lang, path=args.package))
    return 0


def problems_frame(problems, lang: str):
    """Problems as a table to print in ``lang``: headings labelled, empty cells blank."""
    from ..i18n import is_missing, problem_frame

    frame = problem_frame(problems, lang)
    frame = frame.map(lambda v: "" if is_missing(v) else v)
    return frame.rename(columns=lambda c: t(f"ui_col_{c}", lang))


def cmd_merge(args) -> int:
    from ..exchange.network import NetworkStore

    into = Path(args.into)
    if into.is_dir():
        raise UsageError("cli_into_folder", path=args.into, example=into / "network.duckdb")
    if not into.parent.resolve().is_dir():
        raise UsageError("cli_into_no_folder", path=args.into, folder=into.parent)
    lang = cli_lang()
    with NetworkStore(into) as store:
        results = store.merge(args.packages, progress=False if args.quiet else lang)
        print(table_text(_merge_table(results, lang)))
        n_sites = store.query("SELECT count(DISTINCT site) AS n FROM provenance")["n"][0]
    rejected = sum(r.action == "rejected" for r in results)
    print(t("cli_merged", lang, path=args.into, n=len(results) - rejected, rejected=rejected,
            sites=n_sites))
    return 1 if rejected else 0


def _merge_table(results, lang: str):
    """What happened to each package, in ``lang`` (the first problem of a rejected one)."""
    import pandas as pd

    from ..i18n import MISSING

    return pd.DataFrame({
        t("col_source", lang): [r.source for r in results],
        t("cli_col_result", lang): [t(f"ui_action_{r.action}", lang) for r in results],
        t("col_site", lang): [r.site or MISSING for r in results],
        t("ui_col_reason", lang): [problem_text(r.problems[0], lang) + (
            " " + t("cli_and_more", lang, n=len(r.problems) - 1) if len(r.problems) > 1 else "")
            if r.problems else "" for r in results]})


def cmd_benchmark(args) -> int:
    from ..exchange.network import NetworkStore

    store = _existing_store(args.store)
    with NetworkStore(store) as st:
        bench = st.benchmarks(by_month=False, k=args.k)
        written = st.share_back(args.output, k=args.k)
    lang = cli_lang()
    if bench.empty:
        print(t("cli_benchmark_none", lang, path=store))
    else:
        print(table_text(_benchmark_table(bench, lang)))
    for path in written:
        print(t("cli_share_back_written", lang, path=path))
    return 0


def _benchmark_table(bench, lang: str):
    """Each site's indicators beside the network median, as the catalogue names and
    formats them (shares as percentages, scores with decimals, counts whole)."""
    from ..measures.catalogue import format_value, measures

    known = measures()
    units = [known[i].unit if i in known else "count" for i in bench["indicator"]]
    shown = bench[["site", "indicator", "n", "value", "network_median", "flag"]].copy()
    for col in ("value", "network_median"):
        shown[col] = [format_value(v, u, lang) for v, u in zip(bench[col], units, strict=True)]
    shown["indicator"] = [known[i].label(lang) if i in known else i for i in bench["indicator"]]
    return display_frame(shown, lang)


# -- reports and the app ------------------------------------------------------------------
def _meeting_args(args) -> None:
    """Refuse ``--meeting`` and ``--intervention`` where they do not belong (one line)."""
    if args.meeting:
        if args.network is None or args.project is not None:
            raise UsageError("cli_meeting_needs_network")
        for flag, value in (("--period", args.period), ("--share-back", args.share_back)):
            if value is not None:
                raise UsageError("cli_meeting_not_with", flag=flag)
    elif args.intervention is not None:
        raise UsageError("cli_intervention_needs_meeting")


def cmd_report(args) -> int:
    from ..report import build_meeting_pack, build_network_report, build_report

    _meeting_args(args)
    if args.project is None and args.network is None:
        raise UsageError("cli_report_needs_input")
    fmt = output_format(args.output, _REPORT_FORMATS, args.format)
    if args.meeting:
        store = _existing_store(args.network)
        lang = args.lang or "nb"
        out = build_meeting_pack(store, args.output, lang=lang, fmt=fmt,
                                 intervention=args.intervention)
        print(t("cli_meeting_written", lang, path=out))
        return 0
    store = None if args.network is None else _existing_store(args.network)
    if args.project is None:
        out = build_network_report(store, args.output, lang=args.lang or "nb", fmt=fmt)
    else:
        out = build_report(args.project, args.output, period=args.period, lang=args.lang,
                           share_back=args.share_back, fmt=fmt, network=store)
    print(tr("cli_report_written", path=out))
    return 0


def cmd_app(args) -> int:
    from ..app import run_app
    from ._lang import cli_lang

    return run_app(port=args.port, project=args.project, workspace=args.workspace,
                   lang=cli_lang())


def cmd_demo(args) -> int:
    from ..examples import AS_OF
    from ..report.pipeline import run_demo
    from ..store.overview import phase_label

    lang = args.lang
    result = run_demo(args.out, seed=args.seed, progress=True)
    prog = result.progress
    wide = prog.pivot_table(index=["site", "site_name", "intervention"], columns="phase",
                            values="share_done", sort=False).reset_index()
    phases = [c for c in wide.columns if c not in ("site", "site_name", "intervention")]
    shown = display_frame(wide, lang, percent=phases,
                          labels={"intervention": str.upper}).rename(
        columns={c: phase_label(c, lang) for c in phases})
    print(t("cli_demo_progress", lang, date=AS_OF.date().isoformat()))
    print(table_text(shown))
    print()
    print(t("cli_demo_sic", lang))
    cols = ["site", "site_name", "intervention", "current_phase", "stage_reached", "n_overdue",
            "pre_duration_days", "pre_proportion", "impl_duration_days", "impl_proportion",
            "sustain_proportion"]
    print(table_text(display_frame(
        result.summary[cols], lang, percent=[c for c in cols if c.endswith("_proportion")],
        labels={"current_phase": lambda p: phase_label(p, lang),
                "intervention": str.upper})))
    print()
    print(f"{t('cli_demo_projects', lang)}: {result.network}")
    for key, path in result.written:
        print(f"{t(f'cli_demo_{key}', lang)}: {path}")
    return 0
