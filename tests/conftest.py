"""Fixtures shared by the tests: small generated projects, built once per session."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def network_dir(tmp_path_factory):
    """A small example network (all nine sites) generated once; copy before changing it."""
    from implementere_kit.examples import make_network

    root = tmp_path_factory.mktemp("network")
    make_network(root, seed=7, scale=0.3)
    yield root
    # an export records itself in the project (audit log): a test that exported from the
    # shared copy would change what later tests read
    touched = sorted(p.parent.name for p in root.glob("*/audit.jsonl"))
    assert not touched, f"tests exported from the shared example network: {touched}"


@pytest.fixture
def havnstrup(network_dir, tmp_path):
    """A private copy of the Havnstrup KEEP project."""
    dst = tmp_path / "havnstrup"
    shutil.copytree(network_dir / "dk-903-keep", dst)
    return dst


@pytest.fixture
def quiet_tmp(tmp_path, monkeypatch):
    """The system temp folder for this test (where a zip package is unpacked), so the test
    can see that nothing is left behind."""
    import tempfile

    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
