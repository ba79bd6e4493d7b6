"""Charts of plans, progress, fidelity, measures and the network.

One function per chart, in the style of lifelines and seaborn: ``f(data, ..., ax=None,
lang="nb", **kwargs)`` draws on ``ax`` (or on a new figure) and returns the Axes. Titles,
axis labels and legends come from ``locales/<lang>.yaml``; colours are the colour-blind
safe Okabe–Ito set. Matplotlib is imported inside each function, so importing this
package (or ``implementere_kit``) stays light.

=========================  ============================================================
function                   draws
=========================  ============================================================
plan_timeline              the plan as a Gantt chart, overdue activities hatched
phase_progress_chart       share of activities done per phase
sic_chart                  days per SIC stage per site, stage reached
fidelity_run_chart         adherence per month with threshold and p-chart limits
attendance_histogram       sessions attended per participant, graduation line
dropout_chart              drop-outs by last session attended, cumulative share
funnel_plot                sites against the network's funnel limits
score_distribution         box plots of instrument scores by site and wave
reliability_chart          reliability estimates, CIs and criteria
theory_of_change_chart     boxes per level, arrows and critical assumptions
adaptations_chart          adaptations over time, core vs flexible
=========================  ============================================================
"""

from __future__ import annotations

from ._base import OKABE_ITO, PALETTE, PHASE_COLOURS
from .delivery import attendance_histogram, dropout_chart, fidelity_run_chart
from .intervention import adaptations_chart, theory_of_change_chart
from .measures import (
    funnel_plot,
    indicator_label,
    intervention_label,
    reliability_chart,
    score_distribution,
)
from .planning import phase_progress_chart, plan_timeline, sic_chart

__all__ = ["plan_timeline", "phase_progress_chart", "sic_chart", "fidelity_run_chart",
           "attendance_histogram", "dropout_chart", "funnel_plot",
           "score_distribution", "reliability_chart", "theory_of_change_chart",
           "adaptations_chart", "indicator_label", "intervention_label", "OKABE_ITO", "PALETTE",
           "PHASE_COLOURS"]

# Family outcomes against delivery, barriers, FRAME adaptations and costs (see .learning).
from .learning import (  # noqa: E402
    barriers_chart,
    component_chart,
    cost_chart,
    dose_response_chart,
    frame_chart,
)

__all__ += ["dose_response_chart", "component_chart", "barriers_chart", "frame_chart",
            "cost_chart"]
