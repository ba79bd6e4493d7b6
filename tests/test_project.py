import json
import re
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from implementere_kit import (
    Project,
    ProjectError,
    SchemaVersionError,
    UnknownNameError,
    ValidationError,
    load_intervention,
)
from implementere_kit.store.tables import table_names


def test_create_open_roundtrip(tmp_path):
    p = Project.create(tmp_path / "p", site="9901", country="NO", intervention="fft",
                       site_name="Fjordheim", start="2024-01-01", language="nb")
    assert p.site == "9901"  # leading zero kept
    aid = p.plan.activities["activity_id"].iloc[0]
    p.plan.complete(aid, date="2024-02-01")
    p.set_table("eligible", pd.DataFrame({"site": ["9901"], "period": ["2024"],
                                          "n_eligible": [120]}))
    p.save()
    q = Project.open(tmp_path / "p")
    assert q.site == "9901" and q.country == "NO" and q.language == "nb"
    assert q.intervention == p.intervention
    pd.testing.assert_frame_equal(q.plan.activities, p.plan.activities)
    assert q.table("eligible")["n_eligible"].tolist() == [120]
    assert q.table("attendance").empty and "participant_id" in q.table("attendance").columns
    meta = json.loads((tmp_path / "p" / "project.json").read_text())
    assert meta["schema_version"] == 1 and meta["period"]["start"] == "2024-01-01"
    # the key for pseudonyms is in the folder, not in project.json
    assert len(q.key) == 32 and q.key.hex() not in json.dumps(meta)
    # only the current generation's files remain
    names = sorted(f.name for f in (tmp_path / "p").glob("*.parquet"))
    assert names == sorted(e["file"] for e in meta["tables"].values())


_OLD_LOG = [  # the adaptation log as projects kept it inside their intervention
    {"date": "2024-05-01", "component": "role_play", "change": "Kortere rollespil",
     "reason": "Tid", "kind": "core", "decided_by": ""},
    {"date": "2024-03-01", "component": "refreshments", "change": "Kaffe og frugt",
     "reason": "Budget", "kind": "flexible", "decided_by": "Familieafdelingen"}]


def _old_project(folder, log=_OLD_LOG):
    """A project folder in the format before the adaptations table: the log inside the
    intervention in project.json, no adaptations table."""
    Project.create(folder, site="902", country="DK", intervention="keep", start="2024-01-08")
    meta = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    meta["intervention"]["adaptations"] = log
    (folder / "project.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def test_an_old_projects_adaptation_log_moves_into_the_table_once(tmp_path):
    folder = tmp_path / "p"
    old = _old_project(folder)
    p = Project.open(folder)
    a = p.table("adaptations")
    assert a[["adaptation_id", "site", "component", "description", "reason"]].values.tolist() == [
        ["log-001", "902", "refreshments", "Kaffe og frugt", "Budget"],
        ["log-002", "902", "role_play", "Kortere rollespil", "Tid"]]  # in date order
    assert a["decided_by_note"].tolist()[0] == "Familieafdelingen"
    assert pd.isna(a["decided_by_note"].iloc[1]) and a["decided_by"].isna().all()
    assert (a["fidelity"] == "unknown").all() and a["what"].isna().all()  # nothing guessed
    # saved at once, in one save: the table is listed and the log is gone from project.json
    meta = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    assert "adaptations" not in meta["intervention"]
    assert meta["tables"]["adaptations"]["rows"] == 2
    assert meta["generation"] == old["generation"] + 1
    # once: opening again changes nothing
    again = Project.open(folder)
    assert len(again.table("adaptations")) == 2
    assert json.loads((folder / "project.json").read_text(encoding="utf-8")) == meta


def test_a_failed_move_leaves_the_old_project_and_is_done_once_later(tmp_path, monkeypatch):
    import implementere_kit.store.project as store

    folder = tmp_path / "p"
    _old_project(folder)
    before = (folder / "project.json").read_bytes()

    def no_room(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "atomic_write_json", no_room)
    p = Project.open(folder)  # opens, with the rows in memory
    assert len(p.table("adaptations")) == 2
    assert (folder / "project.json").read_bytes() == before  # the old project, whole
    monkeypatch.undo()
    assert len(Project.open(folder).table("adaptations")) == 2
    assert len(Project.open(folder).table("adaptations")) == 2  # not twice


@pytest.mark.parametrize("log,column", [
    ([{"date": "2024-02-30", "component": "x", "change": "c", "reason": "r",
       "kind": "core"}], "date"),
    ([{"date": "2024-05-01", "component": "x", "change": 5, "reason": "r",
       "kind": "core"}], "adaptations.change"),
    ([{"date": "2024-05-01", "component": "x", "cpr": "x", "change": "c", "reason": "r",
       "kind": "core"}], "adaptations.'cpr'"),
    (["2024-05-01"], "adaptations"),
    ({"date": "2024-05-01"}, "adaptations")])
def test_a_damaged_old_log_is_our_error_and_changes_nothing(tmp_path, log, column):
    folder = tmp_path / "p"
    _old_project(folder, log)
    before = sorted((f.name, f.read_bytes()) for f in folder.iterdir() if f.is_file())
    with pytest.raises(ProjectError) as info:
        Project.open(folder)
    assert "intervention.adaptations" in str(info.value)
    assert column in {p.column for p in info.value.problems}
    assert all(p.file == str(folder / "project.json") for p in info.value.problems)
    assert sorted((f.name, f.read_bytes()) for f in folder.iterdir() if f.is_file()) == before


def test_create_rejects_bad_fields(tmp_path):
    with pytest.raises(ValidationError) as exc:
        Project.create(tmp_path / "x", site="Fjordheim", country="XX", intervention="fft")
    assert {p.column for p in exc.value.problems} == {"site", "country"}
    with pytest.raises(UnknownNameError, match="keep"):
        Project.create(tmp_path / "x", site="9901", country="NO", intervention="nope")
    with pytest.raises(UnknownNameError, match="en"):
        Project.create(tmp_path / "x", site="9901", country="NO", intervention="fft", language="fi")
    Project.create(tmp_path / "y", site="9901", country="NO", intervention="fft")
    with pytest.raises(ProjectError, match="exists"):
        Project.create(tmp_path / "y", site="9901", country="NO", intervention="fft")


def test_set_table_validates_and_keeps_old_data(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    good = pd.DataFrame({"site": ["903"], "period": ["2024"], "n_eligible": [10]})
    p.set_table("eligible", good)
    with pytest.raises(ValidationError):
        p.set_table("eligible", good.assign(n_eligible=["many"]))
    assert p.table("eligible")["n_eligible"].tolist() == [10]


def test_open_errors_name_file_and_field(tmp_path):
    with pytest.raises(ProjectError, match="project.json is missing"):
        Project.open(tmp_path / "none")
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    meta_file = tmp_path / "p" / "project.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "schema_version": 99}))
    with pytest.raises(SchemaVersionError) as exc:
        Project.open(p.path)
    assert "schema_version" in str(exc.value) and "project.json" in str(exc.value)
    assert "up to 1" in str(exc.value)
    meta_file.write_text(json.dumps(meta)[:-20])
    with pytest.raises(ProjectError, match="not valid JSON at line"):
        Project.open(p.path)
    broken = dict(meta)
    del broken["country"]
    meta_file.write_text(json.dumps(broken))
    with pytest.raises(ProjectError, match="country"):
        Project.open(p.path)
    meta_file.write_text(json.dumps(meta))
    (tmp_path / "p" / meta["tables"]["activities"]["file"]).write_bytes(b"not parquet")
    with pytest.raises(ProjectError, match="damaged"):
        Project.open(p.path)


_WRITER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import pandas as pd
    from implementere_kit import Project

    # Die (SIGKILL, nothing flushed or cleaned up) at file-system step K of the save:
    # each rename that publishes a file and each removal of an old one is a step.
    steps, crash_at = [0], int(sys.argv[2])
    def step(real):
        def wrapped(*args, **kwargs):
            steps[0] += 1
            if steps[0] == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return wrapped
    p = Project.open(sys.argv[1])
    os.replace, Path.unlink = step(os.replace), step(Path.unlink)
    aid = p.plan.activities["activity_id"].iloc[0]
    i = int(p.plan.activity(aid)["notes"] or 0) + 1
    p.plan.update(aid, notes=str(i))
    p.set_table("eligible", pd.DataFrame({"site": ["903"] * i, "period": [str(k) for k in range(i)],
                                          "n_eligible": [i] * i}))
    p.save()
    print("steps", steps[0])
""")


def test_a_crash_at_any_step_of_a_save_leaves_a_consistent_project(tmp_path):
    """SIGKILL the saving process at each file-system step in turn; every state opens whole,
    as the previous save or the new one, never a mix."""
    path = tmp_path / "p"
    Project.create(path, site="903", country="DK", intervention="keep")
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    ours = re.compile(r"^([a-z_]+)-(\d+)\.parquet$")
    crash_at, note, completed, outcomes = 1, 0, False, set()
    while not completed:
        proc = subprocess.run([sys.executable, str(script), str(path), str(crash_at)],
                              capture_output=True, text=True)
        completed = proc.returncode == 0
        assert completed or proc.returncode == -signal.SIGKILL, proc.stderr
        p = Project.open(path)  # must not raise
        aid = p.plan.activities["activity_id"].iloc[0]
        now = int(p.plan.activity(aid)["notes"] or 0)
        eligible = p.table("eligible")
        # Both tables come from the same save: the counter written to the plan equals the
        # number of rows written to the other table in that save.
        assert now in (note, note + 1) and len(eligible) == now
        outcomes.add("new" if now > note else "old")
        assert (eligible["n_eligible"] == now).all()
        # A killed save may leave table files project.json does not name — new ones (even
        # of a table it does not know yet) or old ones not yet removed — never anything else.
        named = {e["file"] for e in p.meta["tables"].values()}
        for f in path.glob("*.parquet"):
            m = ours.match(f.name)
            assert f.name in named or (m and m[1] in table_names()), f.name
        note, crash_at = now, crash_at + 1
    assert crash_at > 4  # the save really had several steps to be killed at
    assert outcomes == {"old", "new"}  # killed both before and after it took effect
    # the next clean save tidies whatever a killed save left behind
    p.save()
    files = {f.name for f in path.iterdir() if f.name != ".secret.key"}
    assert files == {"project.json"} | {e["file"] for e in p.meta["tables"].values()}


def test_project_never_unpickles(tmp_path):
    """A table file holding a pickle is refused, never loaded."""
    import pickle

    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    target = tmp_path / "p" / p.meta["tables"]["activities"]["file"]
    target.write_bytes(pickle.dumps(pd.DataFrame({"a": [1]})))
    with pytest.raises(ProjectError):
        Project.open(p.path)


def test_intervention_object_accepted(tmp_path):
    keep = load_intervention("keep")
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention=keep)
    assert Project.open(p.path).intervention.id == "keep"


def test_theory_of_change_in_each_language_is_kept_and_old_plain_boxes_still_open(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    meta = json.loads((tmp_path / "p" / "project.json").read_text(encoding="utf-8"))
    stored = meta["intervention"]["theory_of_change"]
    assert set(stored["results"][0]) == {"nb", "da", "en"}
    toc = Project.open(p.path).intervention.theory_of_change
    assert toc.boxes("results", "da") == [b["da"] for b in stored["results"]]
    # project.json from before the boxes were translated: plain English texts, shown as
    # written in every language, and kept so when the project is saved again
    plain = {k: ({a: b["en"] for a, b in v.items()} if k == "assumptions"
                 else [b["en"] for b in v]) for k, v in stored.items()}
    meta["intervention"]["theory_of_change"] = plain
    (tmp_path / "p" / "project.json").write_text(json.dumps(meta), encoding="utf-8")
    old = Project.open(p.path)
    assert old.intervention.theory_of_change.boxes("results", "nb") == plain["results"]
    old.save()
    again = json.loads((tmp_path / "p" / "project.json").read_text(encoding="utf-8"))
    assert again["intervention"]["theory_of_change"] == plain


def test_save_leaves_other_files_alone(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    mine = tmp_path / "p" / "my-notes.parquet"
    mine.write_bytes(b"not ours")
    p.save()
    p.save()
    assert mine.read_bytes() == b"not ours"
    assert not (tmp_path / "p" / f"activities-{p.meta['generation'] - 1}.parquet").exists()


def test_open_reports_every_problem_of_every_table(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    p.set_table("eligible", pd.DataFrame({"site": ["903"] * 3, "period": ["2022", "2023", "2024"],
                                          "n_eligible": [10, 20, 30]}))
    p.save()
    folder, tables = p.path, p.meta["tables"]
    # a hand-edited file: a negative count and a repeated key; another table unreadable;
    # project.json naming a file that is gone and a table that does not exist
    pq.write_table(pa.table({"site": ["903"] * 3, "period": ["2022", "2022", "2024"],
                             "n_eligible": [10, -1, 30]}), folder / tables["eligible"]["file"])
    (folder / tables["checklist_answers"]["file"]).write_bytes(b"PAR1 not really")
    meta = json.loads((folder / "project.json").read_text())
    meta["tables"]["staff"] = {"file": "staff-99.parquet", "rows": 1}
    meta["tables"]["hobbies"] = {"file": "eligible-1.parquet", "rows": 1}
    (folder / "project.json").write_text(json.dumps(meta))
    with pytest.raises(ProjectError) as exc:
        Project.open(folder)
    got = {(p.resource, p.row, p.column, p.message) for p in exc.value.problems}
    assert got == {("eligible", 2, "n_eligible", "value below minimum"),
                   ("eligible", 2, "site+period", "duplicate primary key"),
                   ("checklist_answers", None, None, "damaged: cannot be read as Parquet"),
                   ("staff", None, "tables", "table file is missing"),
                   ("hobbies", None, "tables", "unknown table")}
    assert "value below minimum" in str(exc.value)  # the message lists them too


def test_reading_the_key_writes_nothing_and_the_key_is_made_explicitly(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    key_file = p.path / ".secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(p.key) == 32
    key_file.unlink()  # a project copied without its hidden files
    copy = Project.open(p.path)
    with pytest.raises(ProjectError, match="ensure_key"):
        copy.key  # noqa: B018 - reading is what is tested
    assert not key_file.exists()
    made = copy.ensure_key()
    assert key_file.exists() and copy.key == made == copy.ensure_key()
    key_file.write_text("not hex")
    with pytest.raises(ProjectError, match="damaged"):
        copy.key  # noqa: B018


def test_a_new_project_speaks_its_countrys_language_unless_told(tmp_path):
    langs = {c: Project.create(tmp_path / c, site="903" if c == "DK" else "9901", country=c,
                               intervention="keep" if c == "DK" else "fft").language
             for c in ("DK", "NO", "SE")}
    assert langs == {"DK": "da", "NO": "nb", "SE": "en"}
    assert Project.create(tmp_path / "x", site="903", country="DK", intervention="keep",
                          language="en").language == "en"


def test_a_code_of_another_country_is_refused_at_creation(tmp_path):
    """9901 is a (fictional) Norwegian code: under DK it names no municipality, so the
    project is refused when it is made, not at its first export; nothing is left."""
    with pytest.raises(ValidationError, match="municipality code of DK"):
        Project.create(tmp_path / "p", site="9901", country="DK", intervention="keep")
    assert not (tmp_path / "p").exists()
    assert Project.create(tmp_path / "q", site="0301", country="NO", intervention="keep").site \
        == "0301"
