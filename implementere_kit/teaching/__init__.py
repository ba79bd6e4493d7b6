"""Helpers for the teaching notebooks (``notebooks/teaching/``).

The lessons stay a few lines per cell: what a cell needs beyond one call of the library
lives here, tested, instead of in a notebook.

- :mod:`~implementere_kit.teaching.data`: the example sites the lessons open;
- :mod:`~implementere_kit.teaching.frameworks`: frameworks side by side, roles,
  checklists, a responsibility matrix;
- :mod:`~implementere_kit.teaching.planning`: interventions and theories of change;
- :mod:`~implementere_kit.teaching.delivery`: dose, adherence on core components, FRAME;
- :mod:`~implementere_kit.teaching.outcomes`: survey waves, reach per year, RE-AIM;
- :mod:`~implementere_kit.teaching.ratings`: ratings reshaped for reliability, ICC per
  dimension;
- :func:`strategy_plan`, :func:`unresolved_barriers`: barriers → strategies → a plan for
  core element 3;
- ``check_exercise_X_Y``: friendly feedback on each exercise
  (:mod:`~implementere_kit.teaching.feedback`), in the language set with
  :func:`setup` (or :func:`set_language`);
- :mod:`~implementere_kit.teaching.build`: makes the notebooks in nb, da and en from one
  source per lesson (``make teaching``).

Examples
--------
>>> from implementere_kit import teaching
>>> teaching.set_language("nb")
>>> teaching.check_exercise_0_1(...).heading
'Oppgave 0.1: ikke besvart ennå'
>>> teaching.check_exercise_0_1(13).ok
True
>>> teaching.set_language("en")
"""

from __future__ import annotations

from .checks_delivery import (
    check_exercise_4_1,
    check_exercise_4_2,
    check_exercise_4_3,
    check_exercise_4_4,
    check_exercise_5_1,
    check_exercise_5_2,
    check_exercise_5_3,
)
from .checks_intro import (
    check_exercise_0_1,
    check_exercise_0_2,
    check_exercise_1_1,
    check_exercise_1_2,
    check_exercise_1_3,
    check_exercise_2_1,
    check_exercise_2_2,
    check_exercise_2_3,
    check_exercise_3_1,
    check_exercise_3_2,
)
from .checks_ratings import (
    check_exercise_6_1,
    check_exercise_6_2,
    check_exercise_6_3,
    check_exercise_7_1,
    check_exercise_7_2,
    check_exercise_7_3,
)
from .checks_strategies import (
    check_exercise_8_1,
    check_exercise_8_2,
    check_exercise_8_3,
    check_exercise_8_4,
    check_exercise_8_5,
    check_exercise_9_1,
    check_exercise_9_3,
    check_exercise_9_4,
    unresolved_barriers,
)
from .data import example_site, example_sites, example_table
from .delivery import (
    checks_with_kind,
    compare_with_owner,
    frame_category,
    frame_log,
    makeup_effect,
    share_delivered,
)
from .feedback import Feedback, set_language, setup
from .frameworks import (
    checklist,
    compare_frameworks,
    framework_parts,
    place_situations,
    raci_table,
    responsibility_matrix,
)
from .memo import example_memo, sites_overview
from .outcomes import compare_waves, reach_by_year, reaim_side_by_side, reaim_verdicts
from .planning import intervention_overview, measure_catalogue, strategy_plan, toc_table
from .ratings import double_rated, icc_by_dimension, items_wide

__all__ = [
    "example_sites", "example_site", "example_table", "setup", "set_language", "Feedback",
    "compare_frameworks", "place_situations", "framework_parts", "checklist",
    "responsibility_matrix", "raci_table",
    "intervention_overview", "measure_catalogue", "toc_table", "strategy_plan",
    "unresolved_barriers",
    "makeup_effect", "checks_with_kind", "share_delivered", "compare_with_owner", "frame_log",
    "frame_category",
    "compare_waves", "reach_by_year", "reaim_side_by_side", "reaim_verdicts",
    "double_rated", "items_wide", "icc_by_dimension", "example_memo", "sites_overview",
    "check_exercise_0_1", "check_exercise_0_2", "check_exercise_1_1", "check_exercise_1_2",
    "check_exercise_1_3", "check_exercise_2_1", "check_exercise_2_2", "check_exercise_2_3",
    "check_exercise_3_1", "check_exercise_3_2", "check_exercise_4_1", "check_exercise_4_2",
    "check_exercise_4_3", "check_exercise_4_4", "check_exercise_5_1", "check_exercise_5_2",
    "check_exercise_5_3", "check_exercise_6_1", "check_exercise_6_2", "check_exercise_6_3",
    "check_exercise_7_1", "check_exercise_7_2", "check_exercise_7_3", "check_exercise_8_1",
    "check_exercise_8_2", "check_exercise_8_3", "check_exercise_8_4", "check_exercise_8_5",
    "check_exercise_9_1", "check_exercise_9_3", "check_exercise_9_4",
]
