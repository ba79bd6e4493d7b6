"""The unit views the measures are computed over: one SQL definition of each (private).

Every view reads ``src_<table>`` views (a project's tables or a network store's, with a
``_package`` column) and ``ik_rules`` (one row per package: intervention, the rule
parameters of :class:`~implementere_kit.measures.catalogue.Rules`, and ``rows``: whether the
package's row-level tables are the source, false for aggregate packages). Each view has
``_package``, ``site`` (the row's own), ``intervention`` and ``date`` (the date that places a unit in a
year or month; NULL where a family is judged on the as-of date only), then the columns the
sums of ``measures.yaml`` aggregate.

``{as_of}`` is replaced by a DATE literal and ``{name}`` by a catalogue parameter;
``{makeups}`` and ``{last}`` by :data:`DETAIL` when a caller wants sessions made up and the
last session attended per participant (``attendance_summary``), else by 0 (the measures
need neither, and the aggregation is cheaper without them). DuckDB's
``least`` and ``greatest`` skip NULLs, which is what "the earlier of two dates, either may
be missing" needs.

Why the drop-out definition reads as it does: a participant who ended before the course
was over without completing has dropped out, whatever reason was recorded (moved, referred
elsewhere, other, none); one who completed by the rule has not, even if recorded as
``dropped_out``; ``completed`` and ``graduated`` as reasons mean the course ran to its end.
So the shares completed, dropped out, in progress and ended-at-the-end add up.
"""

from __future__ import annotations

#: Columns read from each table, with their DuckDB types (from ``tables.yaml``).
SOURCE_COLUMNS = {
    "participants": ("participant_id", "site", "group_id", "enrolled", "ended", "end_reason"),
    "attendance": ("participant_id", "session_no", "attended", "makeup"),
    "sessions": ("site", "group_id", "session_no", "date", "duration_min", "leaders"),
    "fidelity_checks": ("check_id", "site", "group_id", "session_no", "practitioner_id", "item",
                        "component", "date", "delivered"),
    "staff": ("practitioner_id", "site", "trained", "first_delivery", "last_delivery"),
    "eligible": ("site", "period", "n_eligible"),
    "sic_events": ("site", "stage", "activity", "date"),
    "survey_responses": ("respondent_id", "site", "instrument", "wave", "date", "item", "value"),
}
_ENDED_AT_END = "('completed', 'graduated')"
#: Per-participant details of ``u_attendance`` beyond the sessions counted.
DETAIL = {"makeups": "coalesce(bit_count(bit_or(CASE WHEN made_up THEN 1::UBIGINT << "
                     "session_no::UBIGINT END)), 0)",
          "last": "max(present)"}

UNITS = {
    "u_attendance": """
-- distinct sessions as the bits of a 64-bit mask (one hash aggregation, no count(DISTINCT)
-- sort); sessions 64 and above, rare, are counted with count(DISTINCT) on their few rows, so
-- there is no cap on session numbers; a participant whose rows are all absences still gets
-- a row (0 sessions)
WITH a AS (
    SELECT a._package, a.participant_id, a.session_no,
           a.attended AND (r.makeups_count OR NOT coalesce(a.makeup, false)) AS counts,
           a.attended AND coalesce(a.makeup, false) AS made_up,
           CASE WHEN a.attended THEN a.session_no END AS present
    FROM src_attendance a JOIN ik_rules r ON r._package = a._package
    WHERE r.rows AND a.session_no >= 1),
parts AS (
    SELECT _package, participant_id,
           coalesce(bit_count(bit_or(CASE WHEN counts
               THEN 1::UBIGINT << session_no::UBIGINT END)), 0) AS n,
           {makeups} AS mk, {last} AS last
    FROM a WHERE session_no < 64 GROUP BY _package, participant_id
    UNION ALL
    SELECT _package, participant_id, count(DISTINCT session_no) FILTER (WHERE counts),
           count(DISTINCT session_no) FILTER (WHERE made_up), max(present)
    FROM a WHERE session_no >= 64 GROUP BY _package, participant_id)
SELECT _package, participant_id, sum(n)::BIGINT AS n_counted, sum(mk)::BIGINT AS n_makeup,
       coalesce(max(last), 0)::BIGINT AS last_session
FROM parts GROUP BY _package, participant_id""",
    "u_participants": f"""
WITH p AS (
    SELECT p._package, p.site, r.intervention, p.participant_id, p.group_id,
           p.enrolled AS date, p.end_reason, r.sessions, r.to_graduate, r.completion,
           coalesce(c.n_counted, 0) AS n_counted, coalesce(c.n_makeup, 0) AS n_makeup,
           coalesce(c.last_session, 0) AS last_session,
           coalesce(p.ended <= {{as_of}}, p.end_reason IS NOT NULL) AS is_ended,
           coalesce(p.end_reason IN {_ENDED_AT_END}, false) AS ran_to_end
    FROM src_participants p JOIN ik_rules r ON r._package = p._package
    LEFT JOIN u_attendance c ON c._package = p._package AND c.participant_id = p.participant_id
    WHERE r.rows AND coalesce(p.enrolled <= {{as_of}}, true)),
f AS (
    SELECT *, CASE WHEN completion = 'recorded' THEN is_ended AND ran_to_end
                   ELSE coalesce(n_counted >= to_graduate, false) END AS completed
    FROM p)
SELECT *, is_ended AND NOT completed AND NOT ran_to_end AS dropped_out FROM f""",
    "u_groups": """
SELECT g._package, g.site, r.intervention, g.group_id, min(g.date) AS date,
       count(g.participant_id) AS n_members, any_value(r.max_group_size) AS max_group_size
FROM (SELECT _package, site, group_id, participant_id, enrolled AS date FROM src_participants
      WHERE group_id IS NOT NULL AND coalesce(enrolled <= {as_of}, true)
      UNION ALL
      SELECT _package, site, group_id, NULL, date FROM src_sessions
      WHERE group_id IS NOT NULL AND date <= {as_of}) g
JOIN ik_rules r ON r._package = g._package
WHERE r.rows
GROUP BY g._package, g.site, r.intervention, g.group_id""",
    "u_sessions": """
WITH s AS (
    SELECT s._package, s.site, r.intervention, s.group_id, s.session_no, s.date,
           s.duration_min, r.session_minutes, r.leaders_per_group,
           CASE WHEN s.leaders IS NOT NULL THEN len(list_distinct(list_filter(
               list_transform(string_split(s.leaders, ';'), lambda x: trim(x)),
               lambda x: x <> ''))) END AS n_leaders
    FROM src_sessions s JOIN ik_rules r ON r._package = s._package
    WHERE r.rows AND s.date <= {as_of})
SELECT *, abs(duration_min - session_minutes) <= {duration_tolerance} * session_minutes
              AS duration_ok,
          n_leaders >= leaders_per_group AS leaders_ok
FROM s""",
    "u_items": """
SELECT f._package, f.site, r.intervention, f.check_id, f.group_id, f.session_no,
       f.practitioner_id, f.item, f.component, f.date,
       coalesce(c.core, false) AS core,
       CASE f.delivered WHEN 'yes' THEN 1.0::DOUBLE WHEN 'partly' THEN {partly_credit}::DOUBLE
                        WHEN 'no' THEN 0.0::DOUBLE END AS credit
FROM src_fidelity_checks f JOIN ik_rules r ON r._package = f._package
LEFT JOIN ik_components c ON c._package = f._package AND c.component = f.component
WHERE r.rows AND f.date <= {as_of}""",
    "u_respondents": """
SELECT x._package, x.site, r.intervention, x.instrument, x.wave, x.date, x.score
FROM ik_respondents x JOIN ik_rules r ON r._package = x._package WHERE r.rows""",
    "u_staff": """
WITH led AS (
    SELECT _package, trim(x) AS practitioner_id, min(date) AS first_led, max(date) AS last_led
    FROM (SELECT _package, date, unnest(string_split(leaders, ';')) AS x FROM src_sessions
          WHERE date <= {as_of} AND leaders IS NOT NULL)
    WHERE trim(x) <> '' GROUP BY ALL),
st AS (
    SELECT s._package, s.site, r.intervention, s.practitioner_id, s.last_delivery,
           CASE WHEN s.first_delivery <= {as_of} THEN s.first_delivery END AS f0
    FROM src_staff s JOIN ik_rules r ON r._package = s._package
    WHERE r.rows AND (s.trained IS NULL OR s.trained <= {as_of}))
-- delivering after the as-of date means still delivering on it
SELECT st._package, st.site, st.intervention, st.practitioner_id, NULL::DATE AS date,
       least(st.f0, led.first_led) AS first_delivery,
       greatest(CASE WHEN st.f0 IS NULL THEN NULL
                     WHEN st.last_delivery IS NULL THEN st.f0
                     ELSE least(st.last_delivery, {as_of}) END,
                led.last_led) AS last_delivery
FROM st LEFT JOIN led ON led._package = st._package
                     AND led.practitioner_id = st.practitioner_id""",
    "u_delivery": """
SELECT x._package, x.site, r.intervention, NULL::DATE AS date,
       min(x.d) AS first_delivery, max(x.d) AS last_delivery
FROM ik_rules r JOIN (
    SELECT _package, site, date AS d FROM src_sessions WHERE date <= {as_of}
    UNION ALL SELECT _package, site, first_delivery FROM u_staff
    UNION ALL SELECT _package, site, last_delivery FROM u_staff) x ON x._package = r._package
WHERE r.rows AND x.d IS NOT NULL
GROUP BY x._package, x.site, r.intervention""",
    "u_reach": """
WITH e AS (
    SELECT e._package, e.site, r.intervention, lower(trim(e.period)) AS period, e.n_eligible
    FROM src_eligible e JOIN ik_rules r ON r._package = e._package
    WHERE r.rows AND e.n_eligible > 0),
k1 AS (
    SELECT *, CASE WHEN period = 'all' THEN 0
                   WHEN regexp_full_match(period, '[0-9]{{4}}') THEN 1
                   WHEN regexp_full_match(period, '[0-9]{{4}}-(0[1-9]|1[0-2])') THEN 2
              END AS kind FROM e),
k2 AS (
    SELECT *, CASE WHEN kind = 1 THEN make_date(CAST(period AS INTEGER), 1, 1)
                   WHEN kind = 2 THEN make_date(CAST(left(period, 4) AS INTEGER),
                                                CAST(right(period, 2) AS INTEGER), 1)
              END AS p_start FROM k1 WHERE kind IS NOT NULL),
k3 AS (
    SELECT *, CASE WHEN kind = 1 THEN make_date(year(p_start), 12, 31)
                   WHEN kind = 2 THEN last_day(p_start) END AS p_end
    FROM k2 WHERE kind = 0 OR p_start <= {as_of}),
-- the coarsest kind of period given: the whole period, else years, else months
chosen AS (
    SELECT k3.* FROM k3
    JOIN (SELECT _package, site, min(kind) AS kind FROM k3 GROUP BY _package, site) m
      ON m._package = k3._package AND m.site = k3.site AND m.kind = k3.kind),
counted AS (
    SELECT c._package, c.site, c.intervention, c.period, c.kind, c.p_start, c.n_eligible,
           count(p.participant_id) AS n_in
    FROM chosen c LEFT JOIN src_participants p
      ON p._package = c._package AND p.site = c.site AND p.enrolled <= {as_of}
     AND (c.kind = 0 OR p.enrolled BETWEEN c.p_start AND c.p_end)
    GROUP BY ALL),
-- the periods the project could reach people in: from the first with an enrolment up to as_of
-- (a period before anyone could enrol is no missed reach; one after enrolment stopped is)
span AS (
    SELECT _package, site, min(p_start) FILTER (WHERE n_in > 0) AS lo, max(n_in) AS most
    FROM counted GROUP BY _package, site)
SELECT c._package, c.site, c.intervention, c.p_start AS date, c.period, c.n_in, c.n_eligible
FROM counted c JOIN span s ON s._package = c._package AND s.site = c.site
WHERE s.most > 0 AND (c.kind = 0 OR c.p_start >= s.lo)""",
    "u_sic": """
SELECT s._package, s.site, r.intervention, NULL::DATE AS date, s.stage, ph.phase,
       CASE WHEN s.date <= {as_of} THEN date_diff('day', DATE '1970-01-01', s.date) END AS day
FROM src_sic_events s JOIN ik_rules r ON r._package = s._package
LEFT JOIN ik_sic_phases ph ON ph.stage = s.stage
WHERE r.rows""",
    "u_activities": """
SELECT x._package, x.site, r.intervention, NULL::DATE AS date, x.n_activities, x.n_done,
       x.n_overdue
FROM ik_activities x JOIN ik_rules r ON r._package = x._package WHERE r.rows""",
}
