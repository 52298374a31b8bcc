import fcntl
import json
import math
import os
from pathlib import Path

import pytest

from graders.course import build
from mla.notebooks import repo_root


@pytest.fixture(scope="session")
def built_course(tmp_path_factory):
    """``built_course(assignment)``: a course root where nbgrader has generated that assignment. Each assignment is
    built once per test run, whichever xdist worker asks first (the others wait on a file lock, then reuse it);
    the graders only read it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, common to workers

    def course_for(assignment: str):
        root = shared / "course" / assignment
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = root / ".built"
            if not done.exists():
                build(root, only=[assignment])
                done.touch()
        return root

    return course_for


COSTS = Path(__file__).with_name("costs.json")  # seconds per notebook for its executions: bench/ci_notebooks.py --costs


def pytest_collection_modifyitems(items):
    """Executing course notebooks is most of the run: start those tests first, the costliest first (a notebook not
    yet measured counts as the costliest), so the many short tests fill in at the end and xdist's workers finish
    together. The order only depends on the committed costs, so every worker collects the same one."""
    costs = json.loads(COSTS.read_text())
    root = repo_root()

    def cost(item):
        notebook = getattr(item, "callspec", None) and item.callspec.params.get("notebook")
        if notebook is None or item.get_closest_marker("notebooks") is None:
            return None
        return costs.get(notebook.relative_to(root).as_posix(), math.inf)

    ranked = {id(item): cost(item) for item in items}
    notebooks = sorted((item for item in items if ranked[id(item)] is not None), key=lambda item: -ranked[id(item)])
    items[:] = notebooks + [item for item in items if ranked[id(item)] is None]
