"""The ``implementere-kit`` command.

Every command prints one clear line and exits 1 on a bad argument or one of our own errors
(no traceback); a bug still shows its traceback, because hiding it would hide the bug. A
reader that stops early (``implementere-kit status P | head``) ends the command quietly.

Everything is said in one language, chosen before parsing (:func:`._lang.guess_lang`:
``--lang``, else the project named, else ``--country``, else the user's locale): argparse's
own words, ``--help``, our messages and the library's.
"""

from __future__ import annotations

import os
import sys

from .. import __version__
from ..errors import ImplementereError, ProjectError, ValidationError
from ..i18n import error_text, message_text, problem_text, t
from ._args import LANGS, Parser, date_arg, printable, whole_number
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
from ._lang import argparse_speaking, guess_lang, speaking, tr
from ._plan import add_plan_parser
from ._privacy import add_privacy_parser, refusal_line

__all__ = ["main", "build_parser"]


def build_parser() -> Parser:
    """The command's parser, its help in the language of :func:`._lang.speaking` (English
    outside it; argparse's own words within :func:`._lang.argparse_speaking`); every text
    comes from the locale files (keys ``cli_help_…``)."""
    parser = Parser(prog="implementere-kit", description=tr("cli_desc"))
    parser.add_argument("--version", action="version", version=f"implementere-kit {__version__}",
                        help=tr("argparse_version"))
    sub = parser.add_subparsers(dest="command", metavar=tr("cli_metavar_command"))

    p = sub.add_parser("new", help=tr("cli_help_new"), description=tr("cli_desc_new"))
    p.add_argument("path", help=tr("cli_help_new_path"))
    p.add_argument("--site", required=True, help=tr("cli_help_new_site"))
    p.add_argument("--country", required=True, choices=["NO", "DK", "SE"],
                   help=tr("cli_help_new_country"))
    p.add_argument("--intervention", required=True, help=tr("cli_help_new_intervention"))
    p.add_argument("--name", help=tr("cli_help_new_name"))
    p.add_argument("--start", type=date_arg, help=tr("cli_help_new_start"))
    p.add_argument("--lang", choices=LANGS, help=tr("cli_help_new_lang"))
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("status", help=tr("cli_help_status"), description=tr("cli_desc_status"))
    p.add_argument("project", help=tr("cli_help_project"))
    p.add_argument("--as-of", type=date_arg, help=tr("cli_help_as_of"))
    p.add_argument("--lang", choices=LANGS, help=tr("cli_help_lang"))
    p.set_defaults(func=cmd_status)

    add_plan_parser(sub)
    add_privacy_parser(sub)

    p = sub.add_parser("export", help=tr("cli_help_export"), description=tr("cli_desc_export"))
    p.add_argument("project", help=tr("cli_help_project"))
    p.add_argument("-o", "--output", required=True, help=tr("cli_help_export_output"))
    p.add_argument("--level", choices=["aggregate", "pseudonymised"], default="aggregate",
                   help=tr("cli_help_export_level"))
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet",
                   help=tr("cli_help_export_format"))
    p.add_argument("-k", type=whole_number(0), default=5, help=tr("cli_help_export_k"))
    p.add_argument("--allow-small-k", action="store_true", help=tr("cli_help_allow_small_k"))
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("validate", help=tr("cli_help_validate"),
                       description=tr("cli_desc_validate"))
    p.add_argument("package", help=tr("cli_help_package"))
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("merge", help=tr("cli_help_merge"), description=tr("cli_desc_merge"))
    p.add_argument("packages", nargs="+", help=tr("cli_help_packages"))
    p.add_argument("--into", required=True, help=tr("cli_help_into"))
    p.add_argument("-q", "--quiet", action="store_true", help=tr("cli_help_quiet"))
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("benchmark", help=tr("cli_help_benchmark"),
                       description=tr("cli_desc_benchmark"))
    p.add_argument("store", help=tr("cli_help_store"))
    p.add_argument("-o", "--output", required=True, help=tr("cli_help_benchmark_output"))
    p.add_argument("-k", type=whole_number(0), default=5, help=tr("cli_help_benchmark_k"))
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("report", help=tr("cli_help_report"), description=tr("cli_desc_report"))
    p.add_argument("project", nargs="?", help=tr("cli_help_project"))
    p.add_argument("--network", help=tr("cli_help_report_network"))
    p.add_argument("--meeting", action="store_true", help=tr("cli_help_report_meeting"))
    p.add_argument("--intervention", help=tr("cli_help_report_intervention"))
    p.add_argument("-o", "--output", required=True, help=tr("cli_help_report_output"))
    p.add_argument("--period", help=tr("cli_help_report_period"))
    p.add_argument("--lang", choices=LANGS, help=tr("cli_help_lang"))
    p.add_argument("--format", choices=["html", "xlsx"], help=tr("cli_help_report_format"))
    p.add_argument("--share-back", help=tr("cli_help_report_share_back"))
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("app", help=tr("cli_help_app"), description=tr("cli_desc_app"))
    p.add_argument("--workspace", help=tr("cli_help_app_workspace"))
    p.add_argument("--project", help=tr("cli_help_app_project"))
    p.add_argument("--port", type=whole_number(1, 65535), help=tr("cli_help_app_port"))
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("demo", help=tr("cli_help_demo"), description=tr("cli_desc_demo"))
    p.add_argument("--out", default="reports", help=tr("cli_help_demo_out"))
    p.add_argument("--seed", type=whole_number(0), help=tr("cli_help_demo_seed"))
    p.add_argument("--lang", choices=LANGS, default="en", help=tr("cli_help_demo_lang"))
    p.set_defaults(func=cmd_demo)
    return parser


def _one_line(exc: Exception, lang: str = "en") -> str:
    """An error as one line in ``lang``: the first problem of a validation error (or of a
    damaged project) and how many more; phrases without a translation stay as the library
    wrote them."""
    problems = getattr(exc, "problems", None)
    more = t("cli_and_more", lang, n=len(problems) - 1) if problems and len(problems) > 1 \
        else ""
    if isinstance(exc, ValidationError) and problems:
        return printable(f"{problem_text(problems[0], lang)} {more}".strip())
    refused = refusal_line(exc, lang)
    if refused:
        return printable(refused)
    if isinstance(exc, ProjectError) and problems:  # its message, then its first problem
        head = message_text(str(exc).split("\n", 1)[0], lang)
        return printable(f"{head}: {problem_text(problems[0], lang)} {more}".strip())
    return printable(error_text(exc, lang))


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left to /dev/null so exiting prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. captured)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    lang = guess_lang(argv)
    with speaking(lang):
        return _run(argv, lang)


def _run(argv: list[str], lang: str) -> int:
    command = "implementere-kit"
    try:
        with argparse_speaking():
            parser = build_parser()
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
        print(f"{prog}: {t('cli_error', lang)}: {_one_line(exc, lang)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a missing folder, a full disk: say which file
        where = f": {exc.filename}" if exc.filename else ""
        why = message_text(exc.strerror, lang) if exc.strerror else str(exc)
        print(printable(f"{command}: {t('cli_error', lang)}: {why}{where}"), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
