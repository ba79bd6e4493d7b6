"""What each command does: check its paths, call the library, print the result.

Tables a person reads (``status``, ``plan list``) are printed in the project's language
(or ``--lang``) with labelled headings and values formatted for that language.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..i18n import display_frame, t
from ._args import LANG_OF_COUNTRY, UsageError, output_format, printable

__all__ = ["cmd_new", "cmd_status", "cmd_export", "cmd_validate", "cmd_merge", "cmd_benchmark",
           "cmd_report", "cmd_app", "cmd_demo", "table_text"]

_REPORT_FORMATS = {".html": "html", ".xlsx": "xlsx"}


def table_text(df) -> str:
    """A table as aligned text (every row, no index)."""
    import pandas as pd

    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.width", 200, "display.max_colwidth", 60):
        return df.to_string(index=False)


def _existing_file(path: str, what: str, hint: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"no {what} at {path}; {hint}")
    return p


# -- projects ---------------------------------------------------------------------------
def cmd_new(args) -> int:
    from ..store.project import Project

    lang = args.lang or LANG_OF_COUNTRY[args.country]
    folder = Path(args.path)
    if (folder / "project.json").exists():
        raise UsageError(f"{folder} holds a project already; nothing was changed (choose "
                         f"another folder, or look at it with: implementere-kit status {folder})")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder; choose another name")
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
        raise UsageError(f"-o {args.output}: give PKG.zip or a folder")
    if args.k < MIN_K:
        raise UsageError(f"-k {args.k}: a figure of fewer than {MIN_K} people is never "
                         f"published; give -k {SAFE_K} (the default) or more")
    if args.k < SAFE_K and not args.allow_small_k:
        raise UsageError(f"-k {args.k}: a threshold of {MIN_K} or {SAFE_K - 1} needs "
                         f"--allow-small-k (the package records it); the default is {SAFE_K}")
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
    if problems:
        from ..errors import ValidationError

        print(table_text(ValidationError(problems).table().fillna("")))
        print(printable(f"implementere-kit validate: error: {args.package}: {len(problems)} "
                        f"problem(s); the package is not valid"), file=sys.stderr)
        return 1
    print(f"{args.package}: valid")
    return 0


def cmd_merge(args) -> int:
    from ..exchange.network import NetworkStore, results_frame

    into = Path(args.into)
    if into.is_dir():
        raise UsageError(f"--into {args.into} is a folder; give the store's file, "
                         f"e.g. {into / 'network.duckdb'}")
    if not into.parent.resolve().is_dir():
        raise UsageError(f"--into {args.into}: folder {into.parent} does not exist; "
                         f"nothing was created")
    with NetworkStore(into) as store:
        results = store.merge(args.packages, progress=not args.quiet)
        table = results_frame(results)
        print(table_text(table))
        n_sites = store.query("SELECT count(DISTINCT site) AS n FROM provenance")["n"][0]
    rejected = int((table["action"] == "rejected").sum())
    print(f"{args.into}: {len(table) - rejected} package(s) accepted, {rejected} rejected; "
          f"{n_sites} site(s) in the store")
    return 1 if rejected else 0


def cmd_benchmark(args) -> int:
    from ..exchange.network import NetworkStore

    store = _existing_file(args.store, "network store",
                           "make one with: implementere-kit merge PACKAGES --into STORE")
    with NetworkStore(store) as st:
        bench = st.benchmarks(by_month=False, k=args.k)
        written = st.share_back(args.output, k=args.k)
    show = bench[["site", "indicator", "n", "value", "network_median", "flag"]]
    if show.empty:
        print(f"{store}: no indicator can be compared yet (too few sites or cells)")
    else:
        print(table_text(show.round(3)))
    for path in written:
        print(f"share-back package: {path}")
    return 0


# -- reports and the app ------------------------------------------------------------------
def _meeting_args(args) -> None:
    """Refuse ``--meeting`` and ``--intervention`` where they do not belong (one line)."""
    lang = args.lang or "nb"  # the language of network output (see build_network_report)
    if args.meeting:
        if args.network is None or args.project is not None:
            raise UsageError(t("cli_meeting_needs_network", lang))
        for flag, value in (("--period", args.period), ("--share-back", args.share_back)):
            if value is not None:
                raise UsageError(t("cli_meeting_not_with", lang, flag=flag))
    elif args.intervention is not None:
        raise UsageError(t("cli_intervention_needs_meeting", lang))


def cmd_report(args) -> int:
    from ..report import build_meeting_pack, build_network_report, build_report

    _meeting_args(args)
    if args.project is None and args.network is None:
        raise UsageError("give a PROJECT folder, --network STORE, or both (the site's report "
                         "with advice from the network)")
    fmt = output_format(args.output, _REPORT_FORMATS, args.format)
    if args.meeting:
        store = _existing_file(args.network, "network store",
                               "make one with: implementere-kit merge PACKAGES --into STORE")
        lang = args.lang or "nb"
        out = build_meeting_pack(store, args.output, lang=lang, fmt=fmt,
                                 intervention=args.intervention)
        print(t("cli_meeting_written", lang, path=out))
        return 0
    store = None if args.network is None else _existing_file(
        args.network, "network store", "make one with: implementere-kit merge PACKAGES --into STORE")
    if args.project is None:
        out = build_network_report(store, args.output, lang=args.lang or "nb", fmt=fmt)
    else:
        out = build_report(args.project, args.output, period=args.period, lang=args.lang,
                           share_back=args.share_back, fmt=fmt, network=store)
    print(f"wrote {out}")
    return 0


def cmd_app(args) -> int:
    from ..app import run_app

    return run_app(port=args.port, project=args.project, workspace=args.workspace)


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
