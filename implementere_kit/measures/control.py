"""Control limits for proportions: funnel plots across sites, p-charts over time.

One formula serves both. A proportion ``p0`` measured on ``n`` items or people has, under
the normal approximation, the standard error ``sqrt(p0(1 − p0)/n)``, and its limits are
``p0 ± z·SE``, clipped to [0, 1]. A funnel plot draws them around the network's value for
every sample size, with z = 1.96 (95 %) and 3.09 (99.8 %), so a small site is not flagged
for the noise its size brings (Spiegelhalter 2005); the network benchmarks flag sites with
the same limits. A p-chart draws them around the pooled p̄ of a series with z = 3, one
pair per sample (Montgomery 2009, section 7.2).

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185–1202. https://doi.org/10.1002/sim.1970

Montgomery DC (2009). Introduction to Statistical Quality Control, 6th ed. Wiley,
section 7.2: the control chart for fraction nonconforming with variable sample size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import row_problems

__all__ = ["funnel_limits", "p_chart", "Z95", "Z998"]

#: Two-sided normal quantiles of the funnel plots' 95 % and 99.8 % limits.
Z95, Z998 = 1.959963984540054, 3.090232306167813


def funnel_limits(p0, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation limits ``p0 ± z·sqrt(p0(1 − p0)/n)``, clipped to [0, 1].

    Parameters
    ----------
    p0 : float or array-like
        The reference proportion (the network's value, or a series' pooled p̄).
    n : array-like
        Sample sizes; where ``n`` is 0 (or less) the limits are NaN.
    z : float
        Width in standard errors: :data:`Z95`, :data:`Z998`, or 3 for a Shewhart chart.

    Returns
    -------
    (lower, upper) : tuple of ndarray

    Examples
    --------
    >>> lo, hi = funnel_limits(0.5, [100, 400], 1.96)
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([0.402, 0.451], [0.598, 0.549])
    """
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n > 0, np.sqrt(p0 * (1 - np.asarray(p0, dtype="float64")) / n), np.nan)
    return np.clip(p0 - z * se, 0, 1), np.clip(p0 + z * se, 0, 1)


def p_chart(x, n, sigma: float = 3.0) -> pd.DataFrame:
    """Centre line and control limits of a p-chart with varying sample sizes.

    Parameters
    ----------
    x : array-like
        Count (or credit) per sample, e.g. checklist items delivered.
    n : array-like
        Sample size per sample, e.g. items scored; samples with n = 0 get NaN limits.
    sigma : float
        Width of the limits in standard errors (3 in Shewhart's chart).

    Returns
    -------
    DataFrame
        ``p`` (x ÷ n), ``center`` (p̄ = Σx ÷ Σn), ``lcl`` and ``ucl`` (from
        :func:`funnel_limits` around p̄) and ``out_of_control``.

    Examples
    --------
    Ten samples of 200 items, the textbook example 16.6 of *An Introduction to Business
    Statistics* (https://fliphtml5.com/eraqv/ufcc/AN_INTRODUCTION_TO_BUSINESS_STATISTICS/489/):
    p̄ = 0.16, UCL = 0.2378, LCL = 0.0822.

    >>> pc = p_chart([40, 44, 22, 34, 24, 32, 28, 32, 34, 30], [200] * 10)
    >>> pc.round(4).head(3)
          p  center     lcl     ucl  out_of_control
    0  0.20    0.16  0.0822  0.2378           False
    1  0.22    0.16  0.0822  0.2378           False
    2  0.11    0.16  0.0822  0.2378           False
    """
    xs = np.asarray(x, dtype="float64")
    ns = np.asarray(n, dtype="float64")
    problems = []
    if xs.shape != ns.shape or xs.ndim != 1:
        problems.append(Problem("x and n must be 1-D and of equal length", column="x, n",
                                expected="two sequences of equal length",
                                found=f"{xs.shape} and {ns.shape}"))
    else:
        bad = ~(ns >= 0) | ~(xs >= 0) | (xs > ns)
        problems += row_problems(bad, [f"x={a:g}, n={b:g}" for a, b in zip(xs, ns, strict=True)],
                                 message="bad sample", column="x, n", expected="0 ≤ x ≤ n")
        if not problems and ns.sum() <= 0:
            problems.append(Problem("no items in any sample", column="n", expected="Σn > 0",
                                    found=safe_value(ns.sum())))
    if problems:
        raise ValidationError(problems)
    center = xs.sum() / ns.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(ns > 0, xs / ns, np.nan)
    lcl, ucl = funnel_limits(center, ns, sigma)
    return pd.DataFrame({"p": p, "center": center, "lcl": lcl, "ucl": ucl,
                         "out_of_control": (p < lcl) | (p > ucl)})
