"""Free text typed into a project's intervention never reaches a package's metadata.

The descriptor carries the intervention's dosage rule (numbers and codes the network
uses); the rule's note (``min_attendance_note``) is free text a municipality may edit, so
it stays home at both levels, and an arriving package carrying one is refused.
"""

from dataclasses import replace

import pytest

from implementere_kit import Project
from implementere_kit.exchange.package import export_package
from implementere_kit.exchange.validate import validate_package
from tests.craft import fodselsnummer, leaks, rewrite

NOTE = "Avklart med Kari Nordmann"


def _with_note(path, note):
    project = Project.open(path)
    iv = project.intervention
    project.set_intervention(replace(iv, dosage=replace(iv.dosage, min_attendance_note=note)))
    project.save()
    return Project.open(path)


@pytest.mark.parametrize("level", ["aggregate", "pseudonymised"])
def test_dosage_note_never_leaves(havnstrup, tmp_path, level):
    """A name typed into the dosage note is in no file of the package, and the note with
    an identifier in it does not block the export (it never leaves)."""
    project = _with_note(havnstrup, f"{NOTE}, fnr {fodselsnummer(4)}")
    out = export_package(project, tmp_path / f"{level}.zip", level=level)
    assert leaks(out, ["Kari Nordmann", fodselsnummer(4)]) == []
    assert validate_package(out) == []


def test_arriving_dosage_note_refused(havnstrup, tmp_path):
    """A hand-made descriptor with free text in the dosage note is refused, without echoing it."""
    folder = export_package(havnstrup, tmp_path / "pkg", level="aggregate")

    def fn(d):
        d["implementere_kit"]["dosage"]["min_attendance_note"] = NOTE
        return d
    rewrite(folder, desc_fn=fn)
    problems = validate_package(folder)
    assert any("min_attendance_note" in (p.column or "") for p in problems), problems
    assert not any("Kari" in str(p) for p in problems)
