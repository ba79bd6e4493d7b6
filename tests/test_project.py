import json
import os
import signal
import subprocess
import sys
import textwrap
import time

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


def test_adaptations_and_intervention_saved(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    p.set_intervention(p.intervention.with_adaptation("2024-03-01", "refreshments", "kaffe",
                                                      "budget"))
    p.save()
    q = Project.open(tmp_path / "p")
    assert q.intervention.adaptations[-1].change == "kaffe"


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
    import sys
    import pandas as pd
    from implementere_kit import Project
    p = Project.open(sys.argv[1])
    aid = p.plan.activities["activity_id"].iloc[0]
    i = int(p.plan.activity(aid)["notes"] or 0)
    print("ready", flush=True)
    while True:
        i += 1
        p.plan.update(aid, notes=str(i))
        p.set_table("eligible", pd.DataFrame({"site": ["903"] * i, "period": [str(k) for k in range(i)],
                                              "n_eligible": [i] * i}))
        p.save()
""")


def test_kill_during_save_leaves_a_consistent_project(tmp_path):
    """SIGKILL a process in the middle of saving, many times; every state must open whole."""
    path = tmp_path / "p"
    Project.create(path, site="903", country="DK", intervention="keep")
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    seen = set()
    for delay in (0.05, 0.13, 0.21, 0.34, 0.55, 0.8):
        proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        p = Project.open(path)  # must not raise
        aid = p.plan.activities["activity_id"].iloc[0]
        note = int(p.plan.activity(aid)["notes"] or 0)
        eligible = p.table("eligible")
        # Both tables come from the same save: the counter written to the plan equals the
        # number of rows written to the other table in that save.
        assert len(eligible) == note
        assert (eligible["n_eligible"] == note).all()
        seen.add(note)
        leftovers = {f.name for f in path.glob("*.parquet")} - {
            e["file"] for e in p.meta["tables"].values()}
        assert all(name.split("-")[0] in p.meta["tables"] for name in leftovers)
    assert max(seen) > 1  # the writer really saved many times between kills
    # the next clean save tidies files a killed save left behind
    p.save()
    files = {f.name for f in path.iterdir() if not f.name.startswith(".")}
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


def test_save_leaves_other_files_alone(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    mine = tmp_path / "p" / "my-notes.parquet"
    mine.write_bytes(b"not ours")
    p.save()
    p.save()
    assert mine.read_bytes() == b"not ours"
    assert not (tmp_path / "p" / f"activities-{p.meta['generation'] - 1}.parquet").exists()
