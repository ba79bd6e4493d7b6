"""Export by allow-list, k and suppression, the scanner on the way out, and validation."""

import json
import os
import shutil
import stat
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from implementere_kit import PrivacyError, Project, ValidationError
from implementere_kit.cli import main
from implementere_kit.exchange.package import export_package
from implementere_kit.exchange.validate import open_package, validate_package
from tests.craft import cpr, fodselsnummer, leaks, rewrite

PSEUDONYM = r"^p_[0-9a-f]{16}$"


@pytest.fixture
def pseudo_dir(havnstrup, tmp_path):
    return export_package(havnstrup, tmp_path / "pkg", level="pseudonymised")


def _messages(problems):
    return [p.message for p in problems]


def test_pseudonymised_package(havnstrup, tmp_path):
    first = export_package(havnstrup, tmp_path / "a.zip", level="pseudonymised")
    second = export_package(havnstrup, tmp_path / "b.zip", level="pseudonymised")
    project = Project.open(havnstrup)
    raw = project.table("participants")
    with open_package(first) as a, open_package(second) as b:
        meta = a.meta
        assert (meta["site"], meta["country"], meta["intervention"], meta["level"]) == \
            ("903", "DK", "keep", "pseudonymised")
        assert meta["schema_version"] == 2 and meta["toolkit_version"]
        # the export sequence number, not the clock, orders a site's packages
        assert b.meta["export_seq"] == a.meta["export_seq"] + 1
        assert project.meta["export_seq"] == b.meta["export_seq"]
        assert meta["site_name"] == "Havnstrup" and a.descriptor["title"] == "Havnstrup: keep"
        parts = a.frame("participants")
        assert set(parts.columns) == {"participant_id", "site", "group_id", "enrolled",
                                      "ended", "end_reason"}  # no referral_source
        for col in ("participant_id", "group_id"):
            assert parts[col].str.match(PSEUDONYM).all()
        assert not set(parts["group_id"]) & set(raw["group_id"])
        assert not set(parts["participant_id"]) & set(raw["participant_id"])
        # the same person gets the same pseudonym in every export from the site
        assert parts["participant_id"].tolist() == b.frame("participants")["participant_id"].tolist()
        assert set(a.frame("attendance")["participant_id"]) <= set(parts["participant_id"])
        # dates of people's events are cut to the month
        assert (parts["enrolled"].dt.day == 1).all()
        assert (a.frame("sessions")["date"].dt.day == 1).all()
        assert (a.frame("staff")["trained"].dropna().dt.day == 1).all()
        acts = a.frame("activities")
        assert not {"title", "notes", "source"} & set(acts.columns)
        leaders = a.frame("sessions")["leaders"].str.split(";").explode()
        assert set(leaders) <= set(a.frame("staff")["practitioner_id"])
        checks = a.frame("fidelity_checks")
        for col in ("check_id", "group_id", "practitioner_id"):
            assert checks[col].str.match(PSEUDONYM).all()
        ratings = a.frame("competence_ratings")
        assert ratings["rater_id"].str.match(PSEUDONYM).all()
        assert a.frame("survey_responses")["respondent_id"].str.match(PSEUDONYM).all()
    assert project.key.hex() not in zipfile.ZipFile(first).read("datapackage.json").decode()


def test_fft_case_numbers_never_leave_in_clear(network_dir, tmp_path):
    shutil.copytree(network_dir / "no-9903-fft", tmp_path / "skogheim")  # exports record
    out = export_package(tmp_path / "skogheim", tmp_path / "fft.zip", level="pseudonymised")
    raw = Project.open(network_dir / "no-9903-fft").table("participants")
    assert not leaks(out, set(raw["group_id"]) | set(raw["participant_id"]))
    with open_package(out) as pkg:
        assert pkg.frame("participants")["group_id"].str.match(PSEUDONYM).all()


def test_typed_names_and_titles_never_leave(havnstrup, tmp_path):
    """A municipality name typed with an e-mail address and a fødselsnummer in it, and an
    activity title with a phone number: none of it reaches any file of either level."""
    fnr = fodselsnummer(3)
    secrets = [fnr, "kari@bærum.kommune.no", "912 34 567", cpr(5), "Kari Nordmann"]
    meta_file = havnstrup / "project.json"
    meta = json.loads(meta_file.read_text())
    meta["site_name"] = f"Havnstrup v/ Kari Nordmann {fnr} kari@bærum.kommune.no"
    meta_file.write_text(json.dumps(meta))
    project = Project.open(havnstrup)
    aid = project.plan.activities["activity_id"].iloc[0]
    project.plan.update(aid, title="Ring Kari på 912 34 567", owner="Kari Nordmann",
                        notes=f"cpr {cpr(5)}")
    project.plan.add(phase="forberede", core_element=1, title=f"møte med {fnr}",
                     activity_id=f"Kari {cpr(5)}")
    project.save()
    for level in ("pseudonymised", "aggregate"):
        out = export_package(havnstrup, tmp_path / f"{level}.zip", level=level)
        assert leaks(out, secrets) == [], level
        with open_package(out) as pkg:
            assert pkg.meta["site_name"] == "Havnstrup"
            acts = pkg.frame("activities")
            assert acts["activity_id"].str.match(r"^(ke\d_\w+|req\d+|x_[0-9a-f]{16})$").all()
            assert acts.loc[acts["activity_id"] == aid, "owner"].isna().all()


def test_aggregate_package_by_allow_list(havnstrup, tmp_path):
    out = export_package(havnstrup, tmp_path / "agg", level="aggregate")
    with open_package(out) as pkg:
        names = set(pkg.resources)
        assert {"agg_measures", "sic_events", "activities"} <= names
        assert not names & {"participants", "attendance", "staff", "survey_responses",
                            "sessions", "fidelity_checks", "competence_ratings",
                            "outcome_scores", "barriers", "adaptations", "costs"}
        assert pkg.meta["k"] == 5 and "allow_small_k" not in pkg.meta
        agg = pkg.frame("agg_measures")
        assert set(agg["level"]) == {"all", "year"}
        whole = agg[agg["level"] == "all"].set_index("sum_id")
        assert whole.loc["n_enrolled", "value"] >= 5  # the whole period: no cohort dropped
        hidden = agg[agg["suppressed"]]
        assert hidden["value"].isna().all() and hidden["reason"].notna().all()
        shown = agg[~agg["suppressed"]]
        people = shown[shown["sum_id"].isin(["n_enrolled", "n_ended", "aim_n", "n_trained"])]
        assert not people["value"].between(1, 4).any()
        # drop-outs and completers: never 1-4, nor a rest of 1-4 (exchange's rule, kept:
        # main's agg_measures replaces its agg_participants table)
        cell = agg.set_index(["level", "period", "sum_id"])["value"]
        for part, whole_sum in (("n_dropped_out", "n_enrolled"), ("n_completed", "n_enrolled"),
                                ("n_completed_ended", "n_ended")):
            for (level, period, _), v in cell.xs(part, level="sum_id", drop_level=False).items():
                if pd.isna(v):
                    continue
                rest = cell.get((level, period, whole_sum), np.nan) - v
                assert not 1 <= v <= 4 and not 1 <= rest <= 4, (part, level, period)
        # a breakdown is whole or withheld: shown years add up to the shown total
        assert (agg[agg["suppressed"] & (agg["level"] == "year")]["reason"]
                .isin(["below_k", "small_count", "breakdown"]).all())
        for _, g in agg.groupby("sum_id"):
            years = g[g["level"] == "year"]
            if len(years) and not years["suppressed"].any():
                assert years["value"].sum() == pytest.approx(
                    g.loc[g["level"] == "all", "value"].iloc[0])
        # typed group names and other linking keys never leave an aggregate package
        for name in names:
            assert not {"group_id", "participant_id", "practitioner_id"} & set(
                pkg.frame(name).columns)


def test_suppression_rules():
    from implementere_kit.exchange.aggregate import suppress_small_cells

    df = pd.DataFrame({"site": ["1"] * 4 + ["2"] * 3, "g": list("abcdefg"),
                       "n": [2, 9, 7, 20, 0, 6, 8], "r": [0.1] * 7})
    out = suppress_small_cells(df, "n", k=5, values=["r"])
    assert out["suppressed"].tolist() == [True, False, True, False, False, False, False]
    assert out["r"].isna().tolist() == out["suppressed"].tolist()


def test_one_dropout_among_five_is_not_published():
    """The issue's case: one drop-out among five enrolled; also four among five (the one
    who stayed), with secondary suppression so the hidden count cannot be recovered."""
    from implementere_kit.exchange.aggregate import suppress_small_cells

    df = pd.DataFrame({"site": "903", "month": ["2024-01", "2024-02", "2024-03", "2024-04"],
                       "n": [5, 12, 9, 8], "d": [1, 0, 6, 4]})
    out = suppress_small_cells(df, "d", k=5, whole="n", flag=None)
    # month 1: d = 1; month 3: rest 9 - 6 = 3; month 4: d = 4 and rest 4; month 2 shows 0
    assert out["d"].isna().tolist() == [True, False, True, True]
    lone = suppress_small_cells(df.iloc[:2], "d", k=5, whole="n", flag=None)
    assert lone["d"].isna().tolist() == [True, False]  # 0 is shown, never recovers the 1


@pytest.mark.parametrize("dropped,hidden", [(1, True), (4, True), (0, False), (5, False)])
def test_one_dropout_among_five_is_not_published_in_agg_measures(dropped, hidden):
    """The same rule where aggregate packages publish it now (main's agg_measures, through
    suppress_sums): drop-outs of 1-4 among five, or a rest of 1-4, are suppressed."""
    from implementere_kit.exchange.aggregate import suppress_sums

    sums = pd.DataFrame({"site": "903", "intervention": "keep", "level": "all",
                         "period": "all", "sum": ["n_enrolled", "n_dropped_out"],
                         "value": [5.0, float(dropped)], "suppressed": False, "reason": None})
    out = suppress_sums(sums, 5).set_index("sum")
    assert out.loc["n_enrolled", "value"] == 5
    assert bool(out.loc["n_dropped_out", "suppressed"]) is hidden
    assert pd.isna(out.loc["n_dropped_out", "value"]) is hidden


@pytest.mark.parametrize("k,allow,ok", [(5, False, True), (7, False, True), (3, True, True),
                                        (4, True, True), (4, False, False), (3, False, False),
                                        (2, True, False), (0, True, False), (-1, True, False),
                                        ("five", False, False), (5.0, False, False),
                                        (True, False, False), (None, False, False)])
def test_k_rules(havnstrup, tmp_path, k, allow, ok):
    out = tmp_path / "agg.zip"
    if not ok:
        with pytest.raises(ValidationError) as exc:
            export_package(havnstrup, out, level="aggregate", k=k, allow_small_k=allow)
        assert exc.value.problems[0].column == "k" and not out.exists()
        assert "Traceback" not in str(exc.value)
        return
    export_package(havnstrup, out, level="aggregate", k=k, allow_small_k=allow)
    with open_package(out) as pkg:
        assert pkg.meta["k"] == k
        assert pkg.meta.get("allow_small_k", False) is (k < 5)  # recorded in the package
        # (adapted: main's agg_measures replaces agg_participants; the rule is the same)
        agg = pkg.frame("agg_measures")
        people = agg[agg["sum_id"].isin(["n_enrolled", "n_ended"]) & ~agg["suppressed"]]
        assert len(people) and not people["value"].between(1, k - 1).any()


def test_k_below_5_in_descriptor_needs_the_flag(havnstrup, tmp_path):
    out = export_package(havnstrup, tmp_path / "agg", level="aggregate", k=4, allow_small_k=True)

    def drop_flag(d):
        del d["implementere_kit"]["allow_small_k"]
        return d
    rewrite(out, desc_fn=drop_flag)
    problems = validate_package(out)
    assert any(p.column == "implementere_kit.k" for p in problems)


@pytest.mark.parametrize("sum_id,value", [("n_dropped_out", 1.0), ("n_enrolled", 2.0)])
def test_published_counts_under_k_refused_on_arrival(havnstrup, tmp_path, sum_id, value):
    """(Adapted: main's agg_measures replaces agg_participants.) A drop-out count or a
    number of people of 1-4, shown in a package of k = 5, is refused on arrival."""
    out = export_package(havnstrup, tmp_path / "agg", level="aggregate")

    def plant(t):
        at = pc.equal(t["sum_id"], sum_id).to_numpy(zero_copy_only=False)
        values = np.where(at, value, t["value"].to_numpy(zero_copy_only=False))
        shown = np.where(at, False, t["suppressed"].to_numpy(zero_copy_only=False))
        t = t.set_column(t.schema.get_field_index("value"), "value",
                         pa.array(values, t["value"].type))
        return t.set_column(t.schema.get_field_index("suppressed"), "suppressed",
                            pa.array(shown, t["suppressed"].type))
    rewrite(out, "agg_measures", plant)
    problems = validate_package(out)
    assert any(p.message == "published count of people below k" and p.column == "value"
               and p.resource == "agg_measures" for p in problems), problems


def test_suppressed_sum_with_a_value_refused_on_arrival(havnstrup, tmp_path):
    out = export_package(havnstrup, tmp_path / "agg", level="aggregate")
    rewrite(out, "agg_measures", lambda t: t.set_column(
        t.schema.get_field_index("suppressed"), "suppressed",
        pa.array([True] * len(t), t["suppressed"].type)))
    problems = validate_package(out)
    assert any(p.message == "suppressed sum still carries its value" for p in problems)


@pytest.mark.parametrize("level", ["aggregate", "pseudonymised"])
def test_privacy_guard_refuses_and_writes_nothing(havnstrup, tmp_path, level):
    project = Project.open(havnstrup)
    fnr = fodselsnummer(11)
    # an identifier where a count belongs: the allow-list keeps the column, the scanner stops it
    project.set_table("eligible", project.table("eligible").assign(
        n_eligible=[int(fnr)] + [40] * (len(project.table("eligible")) - 1)))
    project.save()
    out = tmp_path / f"{level}.zip"
    with pytest.raises(PrivacyError) as exc:
        export_package(havnstrup, out, level=level)
    assert not out.exists()
    assert not list(tmp_path.glob(".pkg-*"))
    msg = str(exc.value)
    assert fnr not in msg and "eligible" in msg and "n_eligible" in msg
    assert main(["export", str(havnstrup), "-o", str(out), "--level", level]) == 1
    assert not out.exists()


def test_valid_package_and_cli(pseudo_dir, capsys):
    assert validate_package(pseudo_dir) == []
    assert main(["validate", str(pseudo_dir)]) == 0
    assert "valid" in capsys.readouterr().out


def test_checksum_mismatch(pseudo_dir, capsys):
    path = pseudo_dir / "staff.parquet"
    t = pq.read_table(path)
    pq.write_table(t.slice(1), path)
    problems = validate_package(pseudo_dir)
    assert any("checksum mismatch" in m for m in _messages(problems))
    assert main(["validate", str(pseudo_dir)]) == 1
    out = capsys.readouterr().out
    assert "staff" in out and "checksum" in out


@pytest.mark.parametrize("version,needle", [(3, "newer schema version"), (1, "older toolkit"),
                                            ("one", "invalid")])
def test_schema_version(pseudo_dir, version, needle):
    def set_version(d):
        d["implementere_kit"]["schema_version"] = version
        return d
    rewrite(pseudo_dir, desc_fn=set_version)
    problems = validate_package(pseudo_dir)
    assert any(needle in p.message for p in problems)


def _zip_with(tmp_path, name, entries):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def test_zip_path_tricks_refused(pseudo_dir, tmp_path):
    desc = (pseudo_dir / "datapackage.json").read_bytes()
    link = zipfile.ZipInfo("link.parquet")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    cases = {
        "abs.zip": [(zipfile.ZipInfo("/etc/evil.parquet"), b"x")],
        "dots.zip": [(zipfile.ZipInfo("../../evil.parquet"), b"x")],
        "link.zip": [(link, "/etc/passwd")],
        "sub.zip": [(zipfile.ZipInfo("sub/evil.parquet"), b"x")],
    }
    expected = {"abs.zip": "absolute path", "dots.zip": "'..'", "link.zip": "symbolic link",
                "sub.zip": "sub-folder"}
    for name, entries in cases.items():
        path = _zip_with(tmp_path, name, [(zipfile.ZipInfo("datapackage.json"), desc), *entries])
        problems = validate_package(path)
        assert any(expected[name] in p.message for p in problems), name
    assert not (tmp_path.parent / "evil.parquet").exists()


def test_zip_bomb_refused(tmp_path):
    bomb = _zip_with(tmp_path, "bomb.zip", [(zipfile.ZipInfo("datapackage.json"), b"{}"),
                                             ("zeros.parquet", b"\0" * 50_000_000)])
    assert os.path.getsize(bomb) < 200_000
    problems = validate_package(bomb)
    assert any("zip bomb" in p.message for p in problems)
    from implementere_kit.exchange.archive import ArchiveLimits

    small = validate_package(bomb, limits=ArchiveLimits(max_total_bytes=1000, max_ratio=1e9))
    assert any("more than the limit" in p.message for p in small)


def test_field_type_key_range_and_date_problems(pseudo_dir):
    rewrite(pseudo_dir, "participants", lambda t: t.drop(["enrolled"]))
    rewrite(pseudo_dir, "sessions", lambda t: t.set_column(
        t.schema.get_field_index("session_no"), "session_no",
        pa.array([str(v) for v in t["session_no"].to_pylist()])))
    rewrite(pseudo_dir, "sic_events", lambda t: pa.concat_tables([t, t.slice(0, 2)]))
    rewrite(pseudo_dir, "attendance", lambda t: pa.concat_tables([t, pa.table({
        "participant_id": ["p_0123456789abcdef"], "session_no": pa.array([1], t["session_no"].type),
        "attended": [True], "makeup": [False]})]))
    rewrite(pseudo_dir, "eligible", lambda t: t.set_column(
        t.schema.get_field_index("n_eligible"), "n_eligible",
        pa.array([-5] * len(t), t["n_eligible"].type)))
    rewrite(pseudo_dir, "fidelity_checks", lambda t: t.set_column(
        t.schema.get_field_index("date"), "date",
        pa.array([pd.Timestamp("2099-01-01").date()] * len(t), t["date"].type)))
    problems = validate_package(pseudo_dir)
    found = {(p.resource, p.column, p.message) for p in problems}
    assert ("participants", "enrolled", "required column missing") in found
    assert ("sessions", "session_no", "wrong type") in found
    assert ("sic_events", "site+stage+activity", "duplicate primary key") in found
    assert any(r == "attendance" and "refers to a missing participants" in m
               for r, _, m in found)
    assert ("eligible", "n_eligible", "value below minimum") in found
    assert ("fidelity_checks", "date", "date in the future") in found
    dup = [p for p in problems if p.message == "duplicate primary key"]
    assert all(p.row is not None and p.file.endswith("sic_events.parquet") for p in dup)
    with pytest.raises(ValidationError) as exc:
        open_package(pseudo_dir)
    assert len(exc.value.problems) == len(problems)


def test_frictionless_reads_and_validates_our_packages(havnstrup, tmp_path):
    import frictionless  # a test dependency: the reference reader of data packages

    for fmt in ("csv", "parquet"):
        out = export_package(havnstrup, tmp_path / f"pkg-{fmt}", level="pseudonymised", fmt=fmt)
        report = frictionless.validate(str(out / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
        package = frictionless.Package(str(out / "datapackage.json"))
        rows = package.get_resource("eligible").read_rows()
        assert len(rows) == len(Project.open(havnstrup).table("eligible"))


def test_csv_package_validates_with_our_reader(havnstrup, tmp_path):
    out = export_package(havnstrup, tmp_path / "csv.zip", level="aggregate", fmt="csv")
    assert validate_package(out) == []
    with open_package(out) as pkg:
        assert pkg.resources["sic_events"]["format"] == "csv"
        assert pkg.frame("sic_events")["site"].iloc[0] == "903"


def test_feedback_and_shared_back_benchmarks_stay_at_home(havnstrup, tmp_path):
    project = Project.open(havnstrup)
    project.set_table("feedback", pd.DataFrame({"time": ["2026-01-01T10:00"], "screen": ["plan"],
                                                "comment": ["ring meg på 912 34 567"]}))
    project.set_table("benchmarks", pd.DataFrame({"site": ["903"], "indicator": ["graduation"],
                                                  "value": [0.8]}))
    project.save()
    out = export_package(havnstrup, tmp_path / "p.zip", level="pseudonymised")
    with open_package(out) as pkg:
        assert not {"feedback", "benchmarks"} & set(pkg.resources)
    assert not leaks(out, ["912 34 567"])


def test_bad_level_and_format_refused(havnstrup, tmp_path):
    with pytest.raises(ValidationError, match="level"):
        export_package(havnstrup, tmp_path / "x.zip", level="everything")
    with pytest.raises(ValidationError, match="format"):
        export_package(havnstrup, tmp_path / "x.zip", level="aggregate", fmt="xlsx")
    assert not (tmp_path / "x.zip").exists()


def test_rows_outside_the_project_period_refused_at_export(havnstrup, tmp_path):
    project = Project.open(havnstrup)
    sessions = project.table("sessions")
    project.set_table("sessions", sessions.assign(date=sessions["date"].where(
        sessions.index > 0, pd.Timestamp("2001-03-04"))))
    project.save()
    with pytest.raises(ValidationError) as exc:
        export_package(havnstrup, tmp_path / "p.zip", level="pseudonymised")
    p = exc.value.problems[0]
    assert (p.resource, p.column, p.message) == ("sessions", "date",
                                                 "rows dated outside the package's period")


def test_harmless_ids_and_budgets_do_not_block_an_export(havnstrup, tmp_path):
    """Group ids such as H-030623-0001 and a note "Budget 45000000 kr" once blocked exports
    with no way forward: the group id now leaves as a pseudonym, the note not at all."""
    project = Project.open(havnstrup)
    old = project.table("sessions")["group_id"].iloc[0]
    for name in ("participants", "sessions", "fidelity_checks"):
        df = project.table(name)
        project.set_table(name, df.assign(group_id=df["group_id"].astype(object).where(
            df["group_id"] != old, "H-030623-0001")))
    aid = project.plan.activities["activity_id"].iloc[0]
    project.plan.update(aid, notes="Budget 45000000 kr")
    project.save()
    for level in ("pseudonymised", "aggregate"):
        out = export_package(havnstrup, tmp_path / f"{level}.zip", level=level)
        assert validate_package(out) == []
        assert leaks(out, ["H-030623-0001", "45000000"]) == []
