"""Plan editor: change one activity's status until the timeline is redrawn (1,000 activities)."""

from __future__ import annotations

from ._common import emit


def run(scale: str) -> None:
    try:
        from implementere_kit.widgets import plan_editor  # noqa: F401
    except ImportError as exc:
        emit("widget: status → timeline", "1,000 activities", float("nan"), None,
             "bare matplotlib redraw", "≤ 1.5×", skipped=f"plan editor not available: {exc}")
        return
    from ._widget_impl import run as impl

    impl(scale)
