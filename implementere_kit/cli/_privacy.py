"""``implementere-kit privacy exception add|list|revoke`` and ``privacy log``: reviewed
exceptions for false positives of the identifier scanner, kept in the project's audit log.

The commands only call the project's API (:meth:`~implementere_kit.Project.
add_privacy_exception`, :meth:`~implementere_kit.Project.privacy_exceptions`,
:meth:`~implementere_kit.Project.revoke_privacy_exception`,
:meth:`~implementere_kit.Project.audit_log`): the rules — no exception for a key column,
a reason and a reviewer without identifiers, a date not in the future — are the library's.
"""

from __future__ import annotations

from ..i18n import display_frame, t
from ._args import date_arg, whole_number
from ._commands import table_text

__all__ = ["add_privacy_parser"]

_LOG_COLUMNS = ("seq", "time", "action", "export_seq", "table", "column", "kind",
                "exception_id", "reason", "reviewer", "date")


def _open(path):
    from ..store.project import Project

    return Project.open(path)


def _labels(lang: str) -> dict:
    return {"kind": lambda k: t(f"id_kind_{k}", lang),
            "action": lambda a: t(f"audit_{a}", lang)}


def cmd_exception_add(args) -> int:
    project = _open(args.project)
    entry = project.add_privacy_exception(args.table, args.column, args.kind,
                                          reason=args.reason, reviewer=args.reviewer,
                                          date=args.date)
    print(t("cli_exception_added", project.language, id=entry["seq"], table=args.table,
            column=args.column, kind=t(f"id_kind_{args.kind}", project.language)))
    return 0


def _print_table(frame, empty_key: str, lang: str) -> int:
    """A table in the project's language, or the sentence saying there is nothing."""
    if frame.empty:
        print(t(empty_key, lang))
    else:
        print(table_text(display_frame(frame, lang, labels=_labels(lang))))
    return 0


def cmd_exception_list(args) -> int:
    project = _open(args.project)
    shown = project.privacy_exceptions().rename(columns={"id": "exception_id"})
    return _print_table(shown, "cli_exceptions_none", project.language)


def cmd_exception_revoke(args) -> int:
    project = _open(args.project)
    project.revoke_privacy_exception(args.id, reason=args.reason, reviewer=args.reviewer)
    print(t("cli_exception_revoked", project.language, id=args.id))
    return 0


def cmd_log(args) -> int:
    project = _open(args.project)
    log = project.audit_log()
    return _print_table(log[[c for c in _LOG_COLUMNS if c in log.columns]], "cli_audit_empty",
                        project.language)


def add_privacy_parser(sub) -> None:
    """Add ``privacy exception add|list|revoke`` and ``privacy log`` to ``sub``."""
    from ..exchange.identifiers import KINDS

    p = sub.add_parser("privacy", help="reviewed exceptions to the identifier scanner and "
                                       "the project's audit log",
                       description="A finding of the identifier scanner that a reviewer has "
                                   "judged harmless (a product code that reads as a CPR "
                                   "number) can be let through by an exception for its "
                                   "table, column and kind, recorded in the project's "
                                   "append-only audit log with a reason. Never for a column "
                                   "of person ids.")
    privacy = p.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)

    q = privacy.add_parser("exception", help="add, list or revoke reviewed exceptions",
                           description="Reviewed exceptions in force for a project.")
    exc = q.add_subparsers(dest="exception_command", metavar="ACTION", required=True)

    r = exc.add_parser("add", help="record a reviewed exception",
                       description="Record that findings of KIND in TABLE.COLUMN are "
                                   "harmless: the export's privacy check then lets them "
                                   "through and the package lists them.")
    r.add_argument("project", help="project folder")
    r.add_argument("--table", required=True, help="table of tables.yaml, e.g. costs")
    r.add_argument("--column", required=True, help="the column (never a column of ids)")
    r.add_argument("--kind", required=True, choices=KINDS, help="kind of identifier found")
    r.add_argument("--reason", required=True, help="why it is harmless (10-500 characters)")
    r.add_argument("--reviewer", required=True, help="who reviewed it (name or role)")
    r.add_argument("--date", type=date_arg, help="date of the review (default today)")
    r.set_defaults(func=cmd_exception_add)

    r = exc.add_parser("list", help="list the exceptions in force",
                       description="List the exceptions in force, in the project's language.")
    r.add_argument("project", help="project folder")
    r.set_defaults(func=cmd_exception_list)

    r = exc.add_parser("revoke", help="withdraw an exception (a new audit log entry)",
                       description="Withdraw an exception by its id (see exception list); "
                                   "the log keeps both entries.")
    r.add_argument("project", help="project folder")
    r.add_argument("id", type=whole_number(1), help="the exception's id")
    r.add_argument("--reason", required=True, help="why it is withdrawn (10-500 characters)")
    r.add_argument("--reviewer", required=True, help="who withdraws it (name or role)")
    r.set_defaults(func=cmd_exception_revoke)

    q = privacy.add_parser("log", help="show the project's audit log",
                           description="Every entry of the project's audit log, oldest first.")
    q.add_argument("project", help="project folder")
    q.set_defaults(func=cmd_log)
