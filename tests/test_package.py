"""Export, privacy guard and validation of data packages; every refusal has a crafted file."""

import json
import os
import stat
import zipfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from implementere_kit import PrivacyError, Project, ValidationError
from implementere_kit.cli import main
from implementere_kit.exchange.package import export_package, sha256_file
from implementere_kit.exchange.validate import open_package, validate_package


@pytest.fixture
def pseudo_dir(havnstrup, tmp_path):
    return export_package(havnstrup, tmp_path / "pkg", level="pseudonymised")


def _rewrite(pkg_dir, name, fn):
    """Change one resource and fix its hash, so only the intended problem remains."""
    desc_file = pkg_dir / "datapackage.json"
    desc = json.loads(desc_file.read_text())
    res = next(r for r in desc["resources"] if r["name"] == name)
    path = pkg_dir / res["path"]
    pq.write_table(fn(pq.read_table(path)), path)
    res["sha256"] = sha256_file(path)
    desc_file.write_text(json.dumps(desc))


def _messages(problems):
    return [p.message for p in problems]


def test_pseudonymised_package(havnstrup, tmp_path):
    first = export_package(havnstrup, tmp_path / "a.zip", level="pseudonymised")
    second = export_package(havnstrup, tmp_path / "b.zip", level="pseudonymised")
    project = Project.open(havnstrup)
    with open_package(first) as a, open_package(second) as b:
        meta = a.meta
        assert (meta["site"], meta["country"], meta["intervention"], meta["level"]) == \
            ("903", "DK", "keep", "pseudonymised")
        assert meta["schema_version"] == 1 and meta["toolkit_version"]
        assert all(len(r["sha256"]) == 64 for r in a.descriptor["resources"])
        ids = a.frame("participants")["participant_id"]
        assert not set(ids) & set(project.table("participants")["participant_id"])
        # the same person gets the same pseudonym in every export from the site
        assert ids.tolist() == b.frame("participants")["participant_id"].tolist()
        # attendance still joins participants after pseudonymisation
        assert set(a.frame("attendance")["participant_id"]) <= set(ids)
        assert "notes" not in a.frame("activities").columns
        leaders = a.frame("sessions")["leaders"].str.split(";").explode()
        assert set(leaders) <= set(a.frame("staff")["practitioner_id"])
    raw = zipfile.ZipFile(first).read("datapackage.json").decode()
    assert project.key.hex() not in raw


def test_aggregate_package_suppresses_small_cells(havnstrup, tmp_path):
    out = export_package(havnstrup, tmp_path / "agg", level="aggregate", k=5)
    with open_package(out) as pkg:
        names = set(pkg.resources)
        assert {"agg_measures", "sic_events"} <= names
        assert not names & {"participants", "attendance", "staff", "survey_responses"}
        agg = pkg.frame("agg_measures")
        assert set(agg["level"]) == {"all", "year"}
        whole = agg[agg["level"] == "all"].set_index("sum_id")
        assert whole.loc["n_enrolled", "value"] >= 5  # the whole period: no cohort dropped
        hidden = agg[agg["suppressed"]]
        assert hidden["value"].isna().all() and hidden["reason"].notna().all()
        shown = agg[~agg["suppressed"]]
        people = shown[shown["sum_id"].isin(["n_enrolled", "n_ended", "aim_n", "n_trained"])]
        assert not people["value"].between(1, 4).any()
        drops = shown[shown["sum_id"] == "n_dropped_out"]
        assert not drops["value"].between(1, 4).any()
        # a breakdown is whole or withheld: shown years add up to the shown total
        assert (agg[agg["suppressed"] & (agg["level"] == "year")]["reason"]
                .isin(["below_k", "small_count", "breakdown"]).all())
        for _, g in agg.groupby("sum_id"):
            years = g[g["level"] == "year"]
            if len(years) and not years["suppressed"].any():
                assert years["value"].sum() == pytest.approx(
                    g.loc[g["level"] == "all", "value"].iloc[0])


def test_suppression_rules():
    from implementere_kit.exchange.aggregate import suppress_small_cells

    df = pd.DataFrame({"site": ["1"] * 4 + ["2"] * 3, "g": list("abcdefg"),
                       "n": [2, 9, 7, 20, 0, 6, 8], "r": [0.1] * 7})
    out = suppress_small_cells(df, "n", k=5, values=["r"])
    assert out["suppressed"].tolist() == [True, False, True, False, False, False, False]
    assert out["r"].isna().tolist() == out["suppressed"].tolist()
    # site 2 has no primary suppression (0 is shown), so nothing more is hidden there


@pytest.mark.parametrize("level", ["aggregate", "pseudonymised"])
def test_privacy_guard_refuses_and_writes_nothing(havnstrup, tmp_path, level):
    project = Project.open(havnstrup)
    parts = project.table("participants").copy()
    fnr = "01017512340"
    # a real-looking fødselsnummer with computed control digits in a kept column
    from implementere_kit.exchange.privacy import is_valid_fodselsnummer

    for n in range(10000):
        cand = f"010175{n:05d}"
        if is_valid_fodselsnummer(cand):
            fnr = cand
            break
    parts.loc[parts.index[:3], "referral_source"] = f"henvist av far {fnr}"
    project.set_table("participants", parts)
    project.set_table("sic_events", project.table("sic_events").assign(
        activity=lambda d: d["activity"].where(d.index > 0, "ring 912 34 567")))
    project.save()
    out = tmp_path / f"{level}.zip"
    with pytest.raises(PrivacyError) as exc:
        export_package(havnstrup, out, level=level)
    assert not out.exists()
    assert not list(tmp_path.glob(".pkg-*"))
    msg = str(exc.value)
    assert fnr not in msg and "912 34 567" not in msg
    assert "sic_events" in msg and "activity" in msg
    if level == "pseudonymised":
        assert "participants" in msg and "referral_source" in msg
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


@pytest.mark.parametrize("version,needle", [(2, "newer schema version"), ("one", "unknown")])
def test_schema_version(pseudo_dir, version, needle):
    desc_file = pseudo_dir / "datapackage.json"
    desc = json.loads(desc_file.read_text())
    desc["implementere_kit"]["schema_version"] = version
    desc_file.write_text(json.dumps(desc))
    problems = validate_package(pseudo_dir)
    assert any(needle in p.message for p in problems)
    if version == 2:
        assert any("≤ 1" in (p.expected or "") for p in problems)


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
    }
    expected = {"abs.zip": "absolute path", "dots.zip": "'..'", "link.zip": "symbolic link"}
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
    _rewrite(pseudo_dir, "participants", lambda t: t.drop(["enrolled"]))
    _rewrite(pseudo_dir, "staff", lambda t: t.append_column("colour", pa.array(["x"] * len(t))))
    _rewrite(pseudo_dir, "sessions", lambda t: t.set_column(
        t.schema.get_field_index("session_no"), "session_no",
        pa.array([str(v) for v in t["session_no"].to_pylist()])))
    _rewrite(pseudo_dir, "sic_events", lambda t: pa.concat_tables([t, t.slice(0, 2)]))
    _rewrite(pseudo_dir, "attendance", lambda t: pa.concat_tables([t, pa.table({
        "participant_id": ["p_ghost"], "session_no": pa.array([1], t["session_no"].type),
        "attended": [True], "makeup": [False]})]))
    _rewrite(pseudo_dir, "eligible", lambda t: t.set_column(
        t.schema.get_field_index("n_eligible"), "n_eligible",
        pa.array([-5] * len(t), t["n_eligible"].type)))
    _rewrite(pseudo_dir, "fidelity_checks", lambda t: t.set_column(
        t.schema.get_field_index("date"), "date",
        pa.array([pd.Timestamp("2099-01-01")] * len(t), t["date"].type)))
    problems = validate_package(pseudo_dir)
    found = {(p.resource, p.column, p.message) for p in problems}
    assert ("participants", "enrolled", "required column missing") in found
    assert ("staff", "colour", "unexpected column") in found
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
