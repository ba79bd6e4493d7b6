"""``implementere-kit plan list|done|add``: the implementation plan at the command line."""

from __future__ import annotations

from ..errors import safe_value
from ..i18n import display_frame, t
from ._args import LANGS, UsageError, date_arg, whole_number
from ._commands import table_text
from ._lang import tr

__all__ = ["add_plan_parser"]

_PHASES = ("forberede", "planlegge", "implementere", "viderefore")
_STATUSES = ("todo", "in_progress", "done", "skipped")


def _open(path):
    from ..store.project import Project

    return Project.open(path)


def cmd_plan_list(args) -> int:
    from ..store.overview import plan_view

    project = _open(args.project)
    lang = args.lang or project.language
    view = plan_view(project, lang, as_of=args.as_of)
    acts = project.plan.activities
    keep = view["overdue"] if args.overdue else view["overdue"] | ~view["overdue"]
    if args.phase:
        keep &= acts["phase"] == args.phase
    if args.status:
        keep &= acts["status"] == args.status
    shown = view[keep][["activity_id", "phase", "core_element", "title", "owner", "due",
                        "status"]]
    print(t("cli_plan_shown", lang, n=len(shown), total=len(view)))
    if len(shown):
        print(table_text(display_frame(shown, lang)))
    return 0


def cmd_plan_done(args) -> int:
    project = _open(args.project)
    lang = project.language
    plan = project.plan
    if args.activity not in set(plan.activities["activity_id"]):
        raise UsageError("cli_no_activity", id=safe_value(args.activity), path=args.project)
    plan.complete(args.activity, date=args.date)
    project.save()
    when = plan.activity(args.activity)["completed"]
    print(t("cli_plan_done", lang, id=args.activity, date=when.date().isoformat()))
    return 0


def cmd_plan_add(args) -> int:
    project = _open(args.project)
    fields = {k: v for k, v in (("owner", args.owner), ("start", args.start), ("due", args.due))
              if v is not None}
    new = project.plan.add(phase=args.phase, core_element=args.core_element, title=args.title,
                           **fields)
    project.save()
    print(t("cli_plan_added", project.language, id=new))
    return 0


def add_plan_parser(sub) -> None:
    """Add ``plan list|done|add`` to the subcommands ``sub``."""
    p = sub.add_parser("plan", help=tr("cli_help_plan"), description=tr("cli_desc_plan"))
    plan = p.add_subparsers(dest="plan_command", metavar=tr("cli_metavar_action"),
                            required=True)

    q = plan.add_parser("list", help=tr("cli_help_plan_list"),
                        description=tr("cli_desc_plan_list"))
    q.add_argument("project", help=tr("cli_help_project"))
    q.add_argument("--phase", choices=_PHASES, help=tr("cli_help_plan_phase"))
    q.add_argument("--status", choices=_STATUSES, help=tr("cli_help_plan_status"))
    q.add_argument("--overdue", action="store_true", help=tr("cli_help_plan_overdue"))
    q.add_argument("--as-of", type=date_arg, help=tr("cli_help_as_of"))
    q.add_argument("--lang", choices=LANGS, help=tr("cli_help_lang"))
    q.set_defaults(func=cmd_plan_list)

    q = plan.add_parser("done", help=tr("cli_help_plan_done"),
                        description=tr("cli_desc_plan_done"))
    q.add_argument("project", help=tr("cli_help_project"))
    q.add_argument("activity", help=tr("cli_help_plan_activity"))
    q.add_argument("--date", type=date_arg, help=tr("cli_help_plan_date"))
    q.set_defaults(func=cmd_plan_done)

    q = plan.add_parser("add", help=tr("cli_help_plan_add"), description=tr("cli_desc_plan_add"))
    q.add_argument("project", help=tr("cli_help_project"))
    q.add_argument("--title", required=True, help=tr("cli_help_plan_title"))
    q.add_argument("--phase", required=True, choices=_PHASES, help=tr("cli_help_plan_phase"))
    q.add_argument("--core-element", required=True, type=whole_number(1, 9),
                   help=tr("cli_help_plan_core_element"))
    q.add_argument("--owner", help=tr("cli_help_plan_owner"))
    q.add_argument("--start", type=date_arg, help=tr("cli_help_plan_start"))
    q.add_argument("--due", type=date_arg, help=tr("cli_help_plan_due"))
    q.set_defaults(func=cmd_plan_add)
