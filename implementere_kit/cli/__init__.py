"""The ``implementere-kit`` command.

Every command prints one clear line and exits 1 on a bad argument or one of our own errors
(no traceback); a bug still shows its traceback, because hiding it would hide the bug. A
reader that stops early (``implementere-kit status P | head``) ends the command quietly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import __version__
from ..errors import ImplementereError, ValidationError
from ..i18n import error_text, lang_from_environment, problem_text, t
from ._args import LANG_OF_COUNTRY, LANGS, Parser, date_arg, printable, whole_number
from ._commands import (
    cmd_app,
    cmd_benchmark,
    cmd_demo,
    cmd_export,
    cmd_merge,
    cmd_new,
    cmd_report,
    cmd_status,
    cmd_validate,
)
from ._plan import add_plan_parser
from ._privacy import add_privacy_parser

__all__ = ["main", "build_parser"]


def build_parser() -> Parser:
    parser = Parser(
        prog="implementere-kit",
        description="Plan and evaluate the implementation of interventions "
                    "(implementere.no phases, EPIS, SIC, TILE-style fidelity).")
    parser.add_argument("--version", action="version", version=f"implementere-kit {__version__}")
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
    p.add_argument("--start", type=date_arg,
                   help="project start date (YYYY-MM-DD or dd.mm.yyyy); default today")
    p.add_argument("--lang", choices=LANGS,
                   help="language of the plan and its reports (default: da for DK, nb for NO)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("status", help="show a project's progress per phase and core element",
                       description="Print the share of activities done per phase and core "
                                   "element, overdue activities and SIC scores, in the "
                                   "project's language.")
    p.add_argument("project", help="project folder")
    p.add_argument("--as-of", type=date_arg, help="judge overdue on this date (default today)")
    p.add_argument("--lang", choices=LANGS, help="language (default the project's)")
    p.set_defaults(func=cmd_status)

    add_plan_parser(sub)
    add_privacy_parser(sub)

    p = sub.add_parser("export", help="export a shareable data package from a project",
                       description="Write a data package (Frictionless) that the municipality "
                                   "may share, holding only what the allow-list lets leave: "
                                   "aggregate (the sums behind each measure, figures of fewer "
                                   "than k people suppressed) or pseudonymised (keyed "
                                   "pseudonyms, dates of people's events cut to the month, no "
                                   "free text). The privacy guard refuses any table holding "
                                   "personal identifiers; then nothing is written. Prints the "
                                   "package's export number, which tells the network which of "
                                   "two packages is newer.")
    p.add_argument("project", help="project folder")
    p.add_argument("-o", "--output", required=True, help="PKG.zip or a folder")
    p.add_argument("--level", choices=["aggregate", "pseudonymised"], default="aggregate")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet",
                   help="format of the tables inside the package")
    p.add_argument("-k", type=whole_number(0), default=5,
                   help="smallest number of people a published figure may describe "
                        "(aggregate level; default 5, never below 3)")
    p.add_argument("--allow-small-k", action="store_true",
                   help="allow -k 3 or 4 (recorded in the package)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("validate", help="check a data package and list every problem",
                       description="Validate a package: checksums, schema version, safe archive "
                                   "entries, fields, types, keys, ranges and dates. Prints every "
                                   "problem (file, resource, row, column, expected, found) and "
                                   "exits 1 if there is any.")
    p.add_argument("package", help="PKG.zip or a package folder")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("merge", help="load validated packages into a network store (DuckDB)",
                       description="Validate each package and load it into the network store "
                                   "(made if the file does not exist; its folder must). An "
                                   "invalid package is rejected whole; the same package twice "
                                   "is a no-op; a newer one for the same site and period "
                                   "replaces the older.")
    p.add_argument("packages", nargs="+", help="package files or folders")
    p.add_argument("--into", required=True, help="network store, e.g. network.duckdb")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("benchmark", help="compute network benchmarks and share-back packages",
                       description="Compute each site's indicators beside the network median, "
                                   "quartiles and funnel limits, and write one share-back "
                                   "package per site. The store must exist.")
    p.add_argument("store", help="network store (DuckDB file)")
    p.add_argument("-o", "--output", required=True, help="folder for share-back packages")
    p.add_argument("-k", type=whole_number(0), default=5, help="smallest cell shown")
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("report", help="write an evaluation report (HTML or Excel)",
                       description="Run the evaluator notebook on a project (or the network "
                                   "notebook on a network store) and write a self-contained "
                                   "HTML report without code, or the report's tables as an "
                                   "Excel workbook. The file name's ending (.html or .xlsx) "
                                   "decides the format. With --meeting, write the pack a "
                                   "network meeting is run from: each site's position, "
                                   "barriers and solutions shared across sites, adaptations "
                                   "across sites and themes for discussion.")
    p.add_argument("project", nargs="?", help="project folder")
    p.add_argument("--network", help="network store (DuckDB file): its network report, or with "
                                    "PROJECT the site's report with advice from the network")
    p.add_argument("--meeting", action="store_true",
                   help="the network meeting pack of --network STORE")
    p.add_argument("--intervention",
                   help="meeting pack: only the sites implementing this intervention")
    p.add_argument("-o", "--output", required=True, help="report.html or report.xlsx")
    p.add_argument("--period", help="2025, 2025-03 or 2025-01:2025-06 (default all)")
    p.add_argument("--lang", choices=LANGS, help="language (default the project's)")
    p.add_argument("--format", choices=["html", "xlsx"],
                   help="must agree with the file name's ending if given")
    p.add_argument("--share-back", help="share-back package for the network comparison")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("app", help="start the guided app (Voila) on localhost",
                       description="Serve the guided app for staff who never see code, on "
                                   "127.0.0.1, and print its URL. The app keeps its projects "
                                   "in a workspace folder: the user's data folder unless "
                                   "--workspace or $IMPLEMENTERE_WORKSPACE says otherwise.")
    p.add_argument("--workspace", help="folder of the projects (made if missing)")
    p.add_argument("--project", help="project to open at start (a name in the workspace "
                                     "or a folder)")
    p.add_argument("--port", type=whole_number(1, 65535), help="port (default a free one)")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("demo", help="run the main job on the example network",
                       description="Generate the example network (nine synthetic sites), print "
                                   "each site's plan progress and SIC scores, export, merge, "
                                   "share back, and write tables and reports to the output "
                                   "folder.")
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--seed", type=whole_number(0), help="generate the network from this seed")
    p.add_argument("--lang", choices=LANGS, default="en", help="language of the headings")
    p.set_defaults(func=cmd_demo)
    return parser


def _one_line(exc: Exception, lang: str = "en") -> str:
    """An error as one line in ``lang``: a validation error's first problem and how many
    more (phrases without a translation stay as the library wrote them)."""
    if isinstance(exc, ValidationError) and exc.problems:
        more = len(exc.problems) - 1
        return printable(problem_text(exc.problems[0], lang)
                         + (" " + t("cli_and_more", lang, n=more) if more else ""))
    return printable(error_text(exc, lang))


def _error_lang(args) -> str:
    """The language errors are told in: ``--lang``, else the project's, else a new project's
    country's, else the user's locale."""
    lang = getattr(args, "lang", None)
    if lang in LANGS:
        return lang
    folder = getattr(args, "project", None)
    if isinstance(folder, str) and folder:
        from ..store._meta import load_meta

        try:  # a damaged project is the command's error to report, not ours
            found = load_meta(Path(folder) / "project.json").get("language")
        except (ImplementereError, OSError):
            found = None
        if found in LANGS:
            return found
    country = getattr(args, "country", None)
    if country in LANG_OF_COUNTRY:
        return LANG_OF_COUNTRY[country]
    return lang_from_environment()


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left to /dev/null so exiting prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. captured)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    command = "implementere-kit"
    args = None
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 1
        command = " ".join(["implementere-kit", args.command, *(
            getattr(args, a) for a in ("plan_command", "privacy_command", "exception_command")
            if getattr(args, a, None))])
        return args.func(args)
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except ImplementereError as exc:
        prog = getattr(exc, "prog", None) or command
        lang = _error_lang(args)
        print(f"{prog}: {t('cli_error', lang)}: {_one_line(exc, lang)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a missing folder, a full disk: say which file
        where = f": {exc.filename}" if exc.filename else ""
        print(printable(f"{command}: error: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
