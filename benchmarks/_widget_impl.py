"""The plan editor at 1,000 activities: one status change until the timeline is redrawn.

Ours: select an activity, change its status and click Save — the library validates and
saves the project, and the screen re-renders its table and redraws the timeline as PNG.
Baseline: a bare matplotlib redraw of the same bars (one ``barh`` per phase) into a
figure of the same size, rendered to PNG the same way.
"""

from __future__ import annotations

import io
import tempfile

import numpy as np
import pandas as pd

from ._common import SCALES, emit, median_time


def _big_plan(n: int = 1000) -> pd.DataFrame:
    from implementere_kit import Plan

    base = Plan.from_template("evidence-based", start="2024-01-08").activities
    reps = int(np.ceil(n / len(base)))
    acts = pd.concat([base.assign(activity_id=base["activity_id"] + f"_{k}") for k in range(reps)],
                     ignore_index=True).iloc[:n]
    return acts


def run(scale: str) -> None:
    from matplotlib.figure import Figure

    from implementere_kit import Plan, Project
    from implementere_kit.widgets.plan_editor import PlanEditor

    folder = tempfile.mkdtemp() + "/p"
    acts = _big_plan()
    project = Project.create(folder, site="903", country="DK", intervention="keep",
                             start="2024-01-08", plan=Plan(acts))
    editor = PlanEditor(project, lang="en", as_of="2025-06-01")
    editor.activity.value = acts["activity_id"].iloc[500]
    states = iter(["in_progress", "todo"] * 100)

    def ours():
        editor.status.value = next(states)
        editor.save_button.click()

    draws = editor.chart.n_draws if editor.chart is not None else 0
    repeat = max(SCALES[scale]["repeat"], 7)
    t_ours = median_time(ours, repeat)
    if editor.chart is None or editor.chart.n_draws <= draws:
        raise RuntimeError("the plan editor did not redraw its timeline")

    fig = Figure(figsize=editor.chart.figure.get_size_inches(), dpi=editor.chart.figure.dpi)
    ax = fig.add_subplot()
    phases = acts["phase"].to_numpy()
    left = (acts["start"] - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    width = np.maximum((acts["due"] - acts["start"]).dt.days.to_numpy(dtype=float), 1)
    y = np.arange(len(acts))[::-1]

    def bare():
        ax.clear()
        for phase in np.unique(phases):
            m = phases == phase
            ax.barh(y[m], width[m], left=left[m], height=0.8)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})

    t_bare = median_time(bare, repeat)
    emit("widget: status → timeline", f"{len(acts):,} activities", t_ours, t_bare,
         "bare matplotlib redraw", "≤ 1.5×")
