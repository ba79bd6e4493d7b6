"""ICC (all six forms) + Cronbach's α on 5,000 targets × 10 raters against pingouin."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._common import SCALES, emit, median_time


def run(scale: str) -> None:
    import pingouin as pg

    from implementere_kit.measures.reliability import cronbach_alpha, icc

    rng = np.random.default_rng(1)
    true = rng.normal(0, 1, (5000, 1))
    wide = pd.DataFrame(true + rng.normal(0, 0.7, (5000, 10)),
                        columns=[f"r{i}" for i in range(10)])
    long = wide.rename_axis("target").reset_index().melt(
        id_vars="target", var_name="rater", value_name="score")

    def ours():
        icc(wide)
        cronbach_alpha(wide)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pg.intraclass_corr(long, targets="target", raters="rater", ratings="score")
            pg.cronbach_alpha(wide)

    repeat = SCALES[scale]["repeat"]
    t_ours, t_pg = median_time(ours, repeat), median_time(theirs, repeat)
    emit("ICC + Cronbach α", "5,000 × 10", t_ours, t_pg, "pingouin", "≥ 2× faster (≤ 0.5×)")
