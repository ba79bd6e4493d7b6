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
from ._lang import tr

__all__ = ["add_privacy_parser", "refusal_line"]

_LOG_COLUMNS = ("seq", "time", "action", "export_seq", "table", "column", "kind",
                "exception_id", "reason", "reviewer", "date")


def _open(path):
    from ..store.project import Project

    return Project.open(path)


def _labels(lang: str) -> dict:
    return {"kind": lambda k: t(f"id_kind_{k}", lang),
            "action": lambda a: t(f"audit_{a}", lang)}


def refusal_line(exc, lang: str) -> str | None:
    """A refused export (a :class:`~implementere_kit.errors.PrivacyError` with findings) as
    one sentence in ``lang``: where the first finding is, how many more, what to do. Values
    are never shown (the findings hold none)."""
    findings = getattr(exc, "findings", None)
    if findings is None or not len(findings):
        return None
    first = findings.iloc[0]
    where = t("cli_privacy_where", lang, table=first["table"], column=first["column"],
              kind=t(f"id_kind_{first['kind']}", lang), n=int(first["count"]))
    rows = tuple(first["rows"])
    if rows:
        where += f" ({t('ui_col_row', lang).lower()} {', '.join(map(str, rows))})"
    if len(findings) > 1:
        where += " " + t("cli_and_more", lang, n=len(findings) - 1)
    return f"{t('ui_privacy_refused', lang)} {where[:1].upper()}{where[1:]}. " + t(
        "cli_privacy_advice", lang)


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


def cmd_record_lost(args) -> int:
    project = _open(args.project)
    entry = project.confirm_lost_export_record(reason=args.reason, reviewer=args.reviewer)
    print(t("cli_record_lost_done", project.language, n=entry["up_to"]))
    return 0


def cmd_log(args) -> int:
    project = _open(args.project)
    log = project.audit_log()
    return _print_table(log[[c for c in _LOG_COLUMNS if c in log.columns]], "cli_audit_empty",
                        project.language)


def add_privacy_parser(sub) -> None:
    """Add ``privacy exception add|list|revoke`` and ``privacy log`` to ``sub``."""
    from ..exchange.identifiers import KINDS

    p = sub.add_parser("privacy", help=tr("cli_help_privacy"),
                       description=tr("cli_desc_privacy"))
    privacy = p.add_subparsers(dest="privacy_command", metavar=tr("cli_metavar_action"),
                               required=True)

    q = privacy.add_parser("exception", help=tr("cli_help_exception"),
                           description=tr("cli_desc_exception"))
    exc = q.add_subparsers(dest="exception_command", metavar=tr("cli_metavar_action"),
                           required=True)

    r = exc.add_parser("add", help=tr("cli_help_exception_add"),
                       description=tr("cli_desc_exception_add"))
    r.add_argument("project", help=tr("cli_help_project"))
    r.add_argument("--table", required=True, help=tr("cli_help_exception_table"))
    r.add_argument("--column", required=True, help=tr("cli_help_exception_column"))
    r.add_argument("--kind", required=True, choices=KINDS, help=tr("cli_help_exception_kind"))
    r.add_argument("--reason", required=True, help=tr("cli_help_exception_reason"))
    r.add_argument("--reviewer", required=True, help=tr("cli_help_exception_reviewer"))
    r.add_argument("--date", type=date_arg, help=tr("cli_help_exception_date"))
    r.set_defaults(func=cmd_exception_add)

    r = exc.add_parser("list", help=tr("cli_help_exception_list"),
                       description=tr("cli_desc_exception_list"))
    r.add_argument("project", help=tr("cli_help_project"))
    r.set_defaults(func=cmd_exception_list)

    r = exc.add_parser("revoke", help=tr("cli_help_exception_revoke"),
                       description=tr("cli_desc_exception_revoke"))
    r.add_argument("project", help=tr("cli_help_project"))
    r.add_argument("id", type=whole_number(1), help=tr("cli_help_exception_id"))
    r.add_argument("--reason", required=True, help=tr("cli_help_exception_revoke_reason"))
    r.add_argument("--reviewer", required=True, help=tr("cli_help_exception_revoke_reviewer"))
    r.set_defaults(func=cmd_exception_revoke)

    q = privacy.add_parser("record-lost", help=tr("cli_help_record_lost"),
                           description=tr("cli_desc_record_lost"))
    q.add_argument("project", help=tr("cli_help_project"))
    q.add_argument("--reason", required=True, help=tr("cli_help_record_lost_reason"))
    q.add_argument("--reviewer", required=True, help=tr("cli_help_record_lost_reviewer"))
    q.set_defaults(func=cmd_record_lost)

    q = privacy.add_parser("log", help=tr("cli_help_privacy_log"),
                           description=tr("cli_desc_privacy_log"))
    q.add_argument("project", help=tr("cli_help_project"))
    q.set_defaults(func=cmd_log)
