"""Network indicators and benchmarks, computed by SQL inside DuckDB.

Indicators come from pseudonymised packages (row level) and aggregate packages alike:
each source is reduced to the same sums (people, graduates, drop-outs, items delivered)
before the two are added, so a network can mix both kinds of package.

Benchmarks compare each site with the network: the median and quartiles of the sites'
values, and for proportions the funnel-plot control limits around the network value,
``p0 ± z·sqrt(p0(1 − p0)/n)`` with z = 1.96 (95 %) and 3.09 (99.8 %), so a small site is
not flagged for the noise its size brings (Spiegelhalter 2005).

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185–1202. https://doi.org/10.1002/sim.1970
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["site_indicators", "benchmark", "PROPORTIONS", "funnel_limits"]

#: Indicators that are proportions of people or items: funnel limits apply.
PROPORTIONS = ("graduation", "dropout", "adherence", "reach")
Z95, Z998 = 1.959963984540054, 3.090232306167813


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [table]).fetchone()[0])


def _month(col: str, by_month: bool) -> str:
    return f"strftime({col}, '%Y-%m')" if by_month else "NULL::VARCHAR"


def participant_sql(con, by_month: bool) -> list[str]:
    """SELECTs giving site, month, n, n_grad, n_drop, sum_rate, n_g, n_d (one per source).

    ``n_g`` and ``n_d`` are the people behind ``n_grad`` and ``n_drop``: in an aggregate
    package a graduate or drop-out count can be suppressed in a cell whose participants
    are shown, and that cell then counts towards neither the numerator nor the denominator.
    """
    parts = []
    if _has(con, "participants"):
        att = ""
        if _has(con, "attendance"):
            att = """
            LEFT JOIN (
                -- distinct sessions as the bits of a mask: cheaper than count(DISTINCT)
                SELECT a._package, a.participant_id,
                       bit_count(bit_or((1::UBIGINT << (a.session_no - 1)::UBIGINT)) FILTER (
                           WHERE a.attended AND a.session_no BETWEEN 1 AND 64
                             AND (NOT coalesce(a.makeup, false)
                                  OR coalesce(pr.dosage_makeups_count, true)))) AS n_att
                FROM attendance a JOIN provenance pr ON pr.package_id = a._package
                GROUP BY ALL
            ) s ON s._package = pa._package AND s.participant_id = pa.participant_id"""
        n_att = "coalesce(s.n_att, 0)" if att else "0"
        parts.append(f"""
            SELECT pa.site, {_month('pa.enrolled', by_month)} AS month,
                   count(*) AS n,
                   count(*) FILTER (WHERE {n_att} >= ceil(pr.dosage_sessions
                                         * pr.dosage_min_attendance - 1e-9)) AS n_grad,
                   count(*) FILTER (WHERE pa.end_reason = 'dropped_out') AS n_drop,
                   sum(least({n_att} / pr.dosage_sessions, 1.0)) AS sum_rate,
                   count(*) AS n_g, count(*) AS n_d
            FROM participants pa JOIN provenance pr ON pr.package_id = pa._package {att}
            WHERE pr.dosage_sessions IS NOT NULL
            GROUP BY ALL""")
    if _has(con, "agg_participants"):
        month = "month" if by_month else "NULL::VARCHAR"
        parts.append(f"""
            SELECT site, {month} AS month, sum(n_participants) AS n, sum(n_graduated) AS n_grad,
                   sum(n_dropped_out) AS n_drop,
                   sum(mean_attendance_rate * n_participants) AS sum_rate,
                   sum(n_participants) FILTER (WHERE n_graduated IS NOT NULL) AS n_g,
                   sum(n_participants) FILTER (WHERE n_dropped_out IS NOT NULL) AS n_d
            FROM agg_participants WHERE NOT suppressed GROUP BY ALL""")
    return parts


GROUPS = ("participation", "adherence", "reach", "sic", "surveys")


def site_indicators(con, by_month: bool = False, groups=GROUPS) -> pd.DataFrame:
    """Key indicators per site (and month) as a long table.

    Columns ``site``, ``month`` (``None`` when ``by_month`` is false), ``indicator``,
    ``n`` (people, items or respondents behind the value), ``numerator`` (for proportions)
    and ``value``. Indicators: ``attendance`` (mean attendance rate), ``graduation``,
    ``dropout``, ``adherence``, ``reach`` (site level), ``sic_stage``, ``pre_duration_days``
    and ``impl_duration_days`` (site level), and the mean ``aim``, ``iam`` and ``fim``.
    """
    selects = []
    parts = participant_sql(con, by_month)
    if parts and "participation" in groups:
        union = " UNION ALL ".join(parts)
        selects.append(f"""
            WITH p AS (SELECT site, month, sum(n) n, sum(n_grad) g, sum(n_drop) d,
                              sum(sum_rate) r, sum(n_g) n_g, sum(n_d) n_d
                       FROM ({union}) GROUP BY ALL)
            SELECT site, month, 'attendance' AS indicator, n, NULL::DOUBLE AS numerator,
                   r / n AS value FROM p
            UNION ALL SELECT site, month, 'graduation', n_g, g, g / n_g FROM p WHERE n_g > 0
            UNION ALL SELECT site, month, 'dropout', n_d, d, d / n_d FROM p WHERE n_d > 0""")
    adh = []
    if _has(con, "fidelity_checks"):
        adh.append(f"""
            SELECT site, {_month('date', by_month)} AS month,
                   count(*) FILTER (WHERE delivered <> 'na') AS n,
                   sum(CASE delivered WHEN 'yes' THEN 1.0 WHEN 'partly' THEN 0.5 ELSE 0 END)
                       AS num
            FROM fidelity_checks GROUP BY ALL""")
    if _has(con, "agg_adherence"):
        month = "month" if by_month else "NULL::VARCHAR"
        adh.append(f"""SELECT site, {month} AS month, sum(n_items) AS n,
                       sum(adherence * n_items) AS num FROM agg_adherence GROUP BY ALL""")
    if adh and "adherence" in groups:
        selects.append(f"""
            SELECT site, month, 'adherence', sum(n), sum(num), sum(num) / sum(n)
            FROM ({' UNION ALL '.join(adh)}) GROUP BY ALL""")
    if not by_month and parts and _has(con, "eligible") and "reach" in groups:
        union = " UNION ALL ".join(participant_sql(con, False))
        selects.append(f"""
            SELECT e.site, NULL, 'reach', e.n_eligible, p.n, p.n / e.n_eligible
            FROM (SELECT site, sum(n_eligible) n_eligible FROM eligible GROUP BY site) e
            JOIN (SELECT site, sum(n) n FROM ({union}) GROUP BY site) p USING (site)
            WHERE e.n_eligible > 0""")
    if not by_month and _has(con, "sic_events") and "sic" in groups:
        selects.append("""
            WITH s AS (SELECT site, stage, date,
                              CASE WHEN stage <= 3 THEN 'pre' WHEN stage <= 7 THEN 'impl'
                                   ELSE 'sustain' END AS phase FROM sic_events)
            SELECT site, NULL, 'sic_stage', count(*), NULL,
                   coalesce(max(stage) FILTER (WHERE date IS NOT NULL), 0) FROM s GROUP BY site
            UNION ALL
            SELECT site, NULL, phase || '_duration_days', count(date), NULL,
                   date_diff('day', min(date), max(date))
            FROM s WHERE phase IN ('pre', 'impl') GROUP BY site, phase""")
    surveys = []
    if _has(con, "survey_responses"):
        surveys.append(f"""
            SELECT site, month, instrument, count(*) AS n, sum(score) AS total FROM (
                SELECT site, {_month('min(date)', by_month)} AS month, instrument,
                       respondent_id, wave, avg(value) AS score
                FROM survey_responses WHERE instrument IN ('aim', 'iam', 'fim')
                GROUP BY site, instrument, respondent_id, wave) GROUP BY ALL""")
    if _has(con, "agg_surveys") and not by_month:
        surveys.append("""
            SELECT site, NULL AS month, instrument, sum(n_respondents) AS n,
                   sum(mean * n_respondents) AS total
            FROM agg_surveys WHERE NOT suppressed AND instrument IN ('aim', 'iam', 'fim')
            GROUP BY ALL""")
    if surveys and "surveys" in groups:
        selects.append(f"""
            SELECT site, month, instrument, sum(n), NULL, sum(total) / sum(n)
            FROM ({' UNION ALL '.join(surveys)}) GROUP BY ALL""")
    cols = ["site", "month", "indicator", "n", "numerator", "value"]
    if not selects:
        return pd.DataFrame(columns=cols)
    sql = " UNION ALL ".join(f"({s})" for s in selects)
    out = con.execute(f"SELECT * FROM ({sql}) ORDER BY 1, 2 NULLS FIRST, 3").df()
    out.columns = cols
    out["n"] = out["n"].astype("Int64")
    return out


def funnel_limits(p0: float | np.ndarray, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation funnel limits for a proportion ``p0`` at sample sizes ``n``.

    Examples
    --------
    >>> lo, hi = funnel_limits(0.5, 100, 1.96)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.402, 0.598)
    """
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(p0 * (1 - p0) / n)
    return np.clip(p0 - z * se, 0, 1), np.clip(p0 + z * se, 0, 1)


def benchmark(ind: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Add network median, quartiles, value and funnel limits to a site indicator table.

    Network figures are left out (NaN) where fewer than three sites or fewer than ``k``
    people stand behind them, so no single site's figure can be read off the network's.
    """
    if ind.empty:
        return ind.assign(network_median=np.nan, network_q1=np.nan, network_q3=np.nan,
                          network_value=np.nan, lower95=np.nan, upper95=np.nan,
                          lower998=np.nan, upper998=np.nan, flag=None, suppressed=False)
    df = ind.copy()
    key = ["indicator", df["month"].fillna("")]
    g = df.groupby(key, sort=False)
    df["network_median"] = g["value"].transform("median")
    df["network_q1"] = g["value"].transform(lambda s: s.quantile(0.25))
    df["network_q3"] = g["value"].transform(lambda s: s.quantile(0.75))
    n_f = df["n"].astype("float64")
    num = df["numerator"].astype("float64")
    tot_n = n_f.groupby([df["indicator"], df["month"].fillna("")]).transform("sum")
    tot_num = num.groupby([df["indicator"], df["month"].fillna("")]).transform("sum")
    weighted = (df["value"] * n_f).groupby([df["indicator"], df["month"].fillna("")]).transform("sum")
    is_prop = df["indicator"].isin(PROPORTIONS)
    df["network_value"] = np.where(is_prop, tot_num / tot_n, weighted / tot_n)
    p0 = df["network_value"].to_numpy(dtype="float64")
    lo95, hi95 = funnel_limits(p0, n_f, Z95)
    lo998, hi998 = funnel_limits(p0, n_f, Z998)
    for name, arr in (("lower95", lo95), ("upper95", hi95), ("lower998", lo998),
                      ("upper998", hi998)):
        df[name] = np.where(is_prop, arr, np.nan)
    v = df["value"]
    flag = np.select([v > df["upper998"], v < df["lower998"], v > df["upper95"],
                      v < df["lower95"]], ["above998", "below998", "above95", "below95"],
                     default="within")
    df["flag"] = np.where(is_prop & v.notna(), flag, None)
    n_sites = g["site"].transform("nunique")
    hide = (n_sites < 3) | (tot_n < k)
    net = ["network_median", "network_q1", "network_q3", "network_value", "lower95", "upper95",
           "lower998", "upper998"]
    df.loc[hide, net] = np.nan
    df.loc[hide, "flag"] = None
    df["suppressed"] = hide.to_numpy()
    return df.drop(columns="numerator")
