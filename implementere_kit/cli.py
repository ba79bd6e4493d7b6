"""The ``implementere-kit`` command.

Every command prints a clear line and exits 1 on our own errors (no traceback); a bug
still shows its traceback, because hiding it would hide the bug.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from .errors import ImplementereError

__all__ = ["main", "build_parser"]

_LANGS = ("nb", "da", "en")


def _table_text(df) -> str:
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 50,
                           "display.width", 160):
        return df.to_string(index=False)


def _localise(df, lang: str):
    from .i18n import t

    return df.rename(columns={c: t(c, lang) for c in df.columns})


def cmd_new(args) -> int:
    from .store.project import Project

    project = Project.create(args.path, site=args.site, country=args.country,
                             intervention=args.intervention, site_name=args.name or "",
                             start=args.start, language=args.lang)
    print(f"created {project!r} in {project.path}")
    return 0


def cmd_status(args) -> int:
    from .plans.progress import sic_summary
    from .store.project import Project

    project = Project.open(args.project)
    lang = args.lang or project.language
    print(f"{project.site} {project.site_name} — {project.intervention.name}")
    print(_table_text(_localise(project.status(as_of=args.as_of), lang)))
    overdue = project.plan.overdue(as_of=args.as_of)
    if len(overdue):
        print()
        print(_table_text(_localise(overdue[["activity_id", "phase", "core_element", "title",
                                             "due", "days_overdue"]], lang)))
    events = project.sic_events()
    if len(events):
        print()
        print(_table_text(_localise(sic_summary(events), lang)))
    return 0


def network_status(folders, as_of=None):
    """Progress and SIC tables across several project folders (used by ``demo``)."""
    import pandas as pd

    from .plans.progress import sic_scores, sic_summary
    from .store.project import Project

    progress, scores, summary = [], [], []
    for folder in folders:
        project = Project.open(folder)
        head = {"site": project.site, "site_name": project.site_name,
                "intervention": project.intervention.id}
        prog = project.plan.progress(as_of=as_of, by=("phase",))
        progress.append(prog.assign(**head))
        events = project.sic_events()
        scores.append(sic_scores(events).assign(site_name=project.site_name))
        sm = sic_summary(events)
        sm["current_phase"] = project.plan.current_phase()
        sm["n_overdue"] = len(project.plan.overdue(as_of=as_of))
        summary.append(sm.assign(**head))
    order = ["site", "site_name", "intervention"]
    prog = pd.concat(progress, ignore_index=True)
    prog = prog[order + [c for c in prog.columns if c not in order]]
    summ = pd.concat(summary, ignore_index=True)
    summ = summ[order + [c for c in summ.columns if c not in order]]
    return prog, pd.concat(scores, ignore_index=True), summ


def cmd_demo(args) -> int:
    from .examples import AS_OF, make_network

    out = Path(args.out)
    network = out / "example-network"
    bundled = Path(__file__).resolve().parent.parent / "data" / "example"
    if network.exists():
        shutil.rmtree(network)
    if bundled.is_dir() and any(bundled.iterdir()) and args.seed is None:
        shutil.copytree(bundled, network)  # work on a copy: the bundled data stays as it is
        folders = sorted(p.parent for p in network.glob("*/project.json"))
    else:
        sites = make_network(network, seed=args.seed or 2024)
        folders = [Path(p) for p in sites["path"]]
    prog, scores, summary = network_status(folders, as_of=AS_OF)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"plan_progress.csv": prog, "sic_scores.csv": scores, "sic_summary.csv": summary}
    for name, df in paths.items():
        df.to_csv(out / name, index=False)
    lang = args.lang
    wide = prog.pivot_table(index=["site", "site_name", "intervention"], columns="phase",
                            values="share_done", sort=False).reset_index()
    print(f"Plan progress (share of activities done) as of {AS_OF.date()}:")
    print(_table_text(_localise(wide.round(2), lang)))
    print()
    print("Stages of Implementation Completion:")
    cols = ["site", "site_name", "intervention", "current_phase", "stage_reached", "n_overdue",
            "pre_duration_days", "pre_proportion", "impl_duration_days", "impl_proportion",
            "sustain_proportion"]
    print(_table_text(_localise(summary[cols].round(2), lang)))
    print()
    written = _demo_exchange(folders, out)
    print(f"Projects: {network}")
    for name in paths:
        print(f"Report table: {out / name}")
    for label, path in written:
        print(f"{label}: {path}")
    return 0


def _demo_exchange(folders, out: Path) -> list[tuple[str, Path]]:
    """Export every site, merge into a network store, share benchmarks back, write reports."""
    from .exchange.network import NetworkStore
    from .exchange.package import export_package

    pkg_dir, share_dir = out / "packages", out / "share-back"
    for d in (pkg_dir, share_dir):
        if d.exists():
            shutil.rmtree(d)
    store_path = out / "network.duckdb"
    store_path.unlink(missing_ok=True)
    shutil.rmtree(out / "network.duckdb.data", ignore_errors=True)
    from .examples import AS_OF

    packages = []
    for folder in folders:
        # Danish sites share aggregates, Norwegian ones pseudonymised rows: a network of both
        level = "aggregate" if folder.name.startswith("dk-") else "pseudonymised"
        packages.append(export_package(folder, pkg_dir / f"{folder.name}.zip", level=level,
                                       as_of=AS_OF))
    with NetworkStore(store_path) as store:
        store.merge(packages)
        store.share_back(share_dir, as_of=AS_OF)  # one as-of date for every figure
    written = [("Packages", pkg_dir), ("Network store", store_path), ("Share-back", share_dir)]
    try:
        from .report import build_network_report, build_reports
    except ImportError:  # reports arrive with the charts; until then the tables above
        return written
    site_reports = build_reports(folders, out / "sites", share_back_dir=share_dir,
                                 as_of=AS_OF.date(), progress=True)
    written += [("Site report", p) for p in site_reports]
    written.append(("Network report", build_network_report(store_path, out / "network.html",
                                                           lang="en", as_of=AS_OF.date())))
    return written


def cmd_export(args) -> int:
    from .exchange.package import export_package

    out = export_package(args.project, args.output, level=args.level, fmt=args.format, k=args.k)
    print(f"wrote {args.level} package {out}")
    return 0


def cmd_validate(args) -> int:
    from .exchange.validate import validate_package

    problems = validate_package(args.package)
    if problems:
        from .errors import ValidationError

        print(_table_text(ValidationError(problems).table().fillna("")))
        print(f"{args.package}: {len(problems)} problem(s); the package is not valid",
              file=sys.stderr)
        return 1
    print(f"{args.package}: valid")
    return 0


def cmd_merge(args) -> int:
    from .exchange.network import NetworkStore, results_frame

    with NetworkStore(args.into) as store:
        results = store.merge(args.packages, progress=not args.quiet)
        table = results_frame(results)
        print(_table_text(table))
        n_sites = store.query("SELECT count(DISTINCT site) AS n FROM provenance")["n"][0]
    rejected = int((table["action"] == "rejected").sum())
    print(f"{args.into}: {len(table) - rejected} package(s) accepted, {rejected} rejected; "
          f"{n_sites} site(s) in the store")
    return 1 if rejected else 0


def cmd_benchmark(args) -> int:
    from .exchange.network import NetworkStore

    with NetworkStore(args.store) as store:
        bench = store.benchmarks(by_month=False, k=args.k)
        written = store.share_back(args.output, k=args.k)
    show = bench[["site", "indicator", "n", "value", "network_median", "flag"]]
    print(_table_text(show.round(3)))
    for path in written:
        print(f"share-back package: {path}")
    return 0


def cmd_report(args) -> int:
    from .report import build_network_report, build_report

    if (args.project is None) == (args.network is None):
        raise ImplementereError("give either a PROJECT folder or --network STORE")
    if args.network:
        out = build_network_report(args.network, args.output, lang=args.lang or "nb",
                                   fmt=args.format)
    else:
        out = build_report(args.project, args.output, period=args.period, lang=args.lang,
                           share_back=args.share_back, fmt=args.format)
    print(f"wrote {out}")
    return 0


def cmd_app(args) -> int:
    from .app import run_app

    return run_app(port=args.port, project=args.project)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="implementere-kit",
        description="Plan and evaluate the implementation of interventions "
                    "(implementere.no phases, EPIS, SIC, TILE-style fidelity).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("new", help="create a project folder with a plan from the template",
                       description="Create a project: one municipality's implementation of one "
                                   "intervention, with a plan generated from implementere.no's "
                                   "four phases and nine core elements.")
    p.add_argument("path", help="folder to create")
    p.add_argument("--site", required=True, help="municipality code, e.g. 9901 or 903")
    p.add_argument("--country", required=True, choices=["NO", "DK", "SE"])
    p.add_argument("--intervention", required=True,
                   help="a shipped intervention id (keep, fft, …) or a YAML file")
    p.add_argument("--name", help="municipality name")
    p.add_argument("--start", help="project start date (YYYY-MM-DD); default today")
    p.add_argument("--lang", choices=_LANGS, default="nb", help="language of the plan")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("status", help="show a project's progress per phase and core element",
                       description="Print the share of activities done per phase and core "
                                   "element, overdue activities and SIC scores.")
    p.add_argument("project", help="project folder")
    p.add_argument("--as-of", help="judge overdue on this date (default today)")
    p.add_argument("--lang", choices=_LANGS, help="language of the headings")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("export", help="export a shareable data package from a project",
                       description="Write a data package (Frictionless) that the municipality "
                                   "may share: aggregate (counts and rates, small cells "
                                   "suppressed) or pseudonymised (keyed pseudonyms, free text "
                                   "dropped). The privacy guard refuses any table holding "
                                   "personal identifiers; then nothing is written.")
    p.add_argument("project", help="project folder")
    p.add_argument("-o", "--output", required=True, help="PKG.zip or a folder")
    p.add_argument("--level", choices=["aggregate", "pseudonymised"], default="aggregate")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("-k", type=int, default=5, help="smallest cell shown (aggregate level)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("validate", help="check a data package and list every problem",
                       description="Validate a package: checksums, schema version, safe archive "
                                   "entries, fields, types, keys, ranges and dates. Prints every "
                                   "problem (file, resource, row, column, expected, found) and "
                                   "exits 1 if there is any.")
    p.add_argument("package", help="PKG.zip or a package folder")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("merge", help="load validated packages into a network store (DuckDB)",
                       description="Validate each package and load it into the network store. "
                                   "An invalid package is rejected whole; the same package "
                                   "twice is a no-op; a newer one for the same site and period "
                                   "replaces the older.")
    p.add_argument("packages", nargs="+", help="package files or folders")
    p.add_argument("--into", required=True, help="network store, e.g. network.duckdb")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("benchmark", help="compute network benchmarks and share-back packages",
                       description="Compute each site's indicators beside the network median, "
                                   "quartiles and funnel limits, and write one share-back "
                                   "package per site.")
    p.add_argument("store", help="network store (DuckDB file)")
    p.add_argument("-o", "--output", required=True, help="folder for share-back packages")
    p.add_argument("-k", type=int, default=5, help="smallest cell shown")
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("report", help="write an evaluation report (HTML or Excel)",
                       description="Run the evaluator notebook on a project (or the network "
                                   "notebook on a network store) and write a self-contained "
                                   "HTML report without code, or the report's tables as "
                                   "an Excel workbook.")
    p.add_argument("project", nargs="?", help="project folder")
    p.add_argument("--network", help="network store (DuckDB file) instead of a project")
    p.add_argument("-o", "--output", required=True, help="report.html or report.xlsx")
    p.add_argument("--period", help="2025, 2025-03 or 2025-01:2025-06 (default all)")
    p.add_argument("--lang", choices=_LANGS, help="language (default the project's)")
    p.add_argument("--format", choices=["html", "xlsx"], default="html")
    p.add_argument("--share-back", help="share-back package for the network comparison")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("app", help="start the guided app (Voila) on localhost",
                       description="Serve the guided notebooks as a web app for staff who "
                                   "never see code, on 127.0.0.1, and print its URL.")
    p.add_argument("--project", help="project folder to open (default a demo project)")
    p.add_argument("--port", type=int, help="port (default a free one)")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("demo", help="run the main job on the bundled example network",
                       description="Copy the bundled example network (or generate it with "
                                   "--seed), print each site's plan progress and SIC scores, "
                                   "and write the tables to the output folder.")
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--seed", type=int, help="generate the network from this seed instead")
    p.add_argument("--lang", choices=_LANGS, default="en", help="language of the headings")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return args.func(args)
    except ImplementereError as exc:
        print(f"implementere-kit {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a missing folder, a full disk: say which file
        print(f"implementere-kit {args.command}: error: {exc.strerror}: {exc.filename}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
