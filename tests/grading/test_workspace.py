"""The learner workspace gets the student versions, and an update never overwrites the learner's edits."""

import json

from graders.course import build
from mla.workspace import sync


def test_update_keeps_learner_edits_and_refreshes_untouched_notebooks(tmp_path):
    course, workspace = tmp_path / "course", tmp_path / "ws"
    build(course)
    first = sync(workspace, course)
    assert first.added and not first.updated
    notebook = workspace / first.added[0]
    assert "raise NotImplementedError" in notebook.read_text()
    assert "BEGIN SOLUTION" not in notebook.read_text()

    edited = json.loads(notebook.read_text())
    edited["cells"][0]["source"] = "my notes"
    notebook.write_text(json.dumps(edited))
    release = course / "release" / notebook.parent.name / notebook.name
    changed = json.loads(release.read_text())
    changed["metadata"]["mla"]["title"] = "a newer release"
    release.write_text(json.dumps(changed))

    second = sync(workspace, course)
    assert second.kept == first.added[:1]
    assert json.loads(notebook.read_text())["cells"][0]["source"] == "my notes"
    assert notebook.with_name(notebook.stem + ".updated.ipynb").exists()
    assert sync(workspace, course).added == []
