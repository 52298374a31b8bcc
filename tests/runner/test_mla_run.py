"""`mla run` reports each kind of notebook failure correctly and always goes on to the next notebook."""

import xml.etree.ElementTree as ET

import nbformat
import pytest

from mla.cli import main
from mla.runner.run import run_notebooks

CASES = {
    "a_passes": (["x = 1 + 1", "assert x == 2"], "passed"),
    "b_failing_cell": (["x = 1", "raise ValueError('broken on purpose')", "y = 2"], "error"),
    "c_sys_exit": (["import sys", "sys.exit(0)", "z = 3"], "incomplete"),
    "d_infinite_loop": (["while True:\n    pass", "w = 4"], "timeout"),
    "e_kernel_dies": (["import os", "os._exit(1)", "v = 5"], "kernel-died"),
}


def write_notebook(path, sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("BACKEND = None", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fixtures")
    pairs = []
    for name, (sources, _) in CASES.items():
        write_notebook(folder / f"{name}.ipynb", sources)
        pairs.append((folder / f"{name}.ipynb", folder.name + f"/{name}.ipynb"))
    run_dir = tmp_path_factory.mktemp("run")
    results = run_notebooks(pairs, run_dir=run_dir, workers=2, cell_timeout=5, wall_limit=120)
    return {o.notebook.split("/")[-1].removesuffix(".ipynb"): o for o in results}, run_dir


@pytest.mark.parametrize("name", CASES)
def test_each_notebook_gets_its_verdict(outcomes, name):
    results, _ = outcomes
    assert results[name].status == CASES[name][1], results[name]


def test_failing_cell_is_named_with_its_error(outcomes):
    failure = outcomes[0]["b_failing_cell"]
    assert failure.cell == 3  # numbered as in the source notebook
    assert "ValueError: broken on purpose" in failure.reason


def test_never_retries_a_cell_error_or_timeout(outcomes):
    assert {o.attempts for o in outcomes[0].values()} == {1}


def test_outputs_go_to_the_run_folder_not_in_place(outcomes):
    results, run_dir = outcomes
    assert all(o.output.startswith(str(run_dir)) for o in results.values())


def test_cli_exit_code_table_and_junit(tmp_path, capsys):
    write_notebook(tmp_path / "ok.ipynb", ["print('hi')"])
    write_notebook(tmp_path / "bad.ipynb", ["1/0"])
    code = main(["run", str(tmp_path), "--out", str(tmp_path / "run"), "--cell-timeout", "30"])
    assert code == 1
    printed = capsys.readouterr().out
    assert "ZeroDivisionError" in printed and "1 passed, 1 failed" in printed
    suite = ET.parse(tmp_path / "run" / "junit.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"


def test_wall_limit_kills_the_notebook(tmp_path):
    write_notebook(tmp_path / "slow.ipynb", ["import time\ntime.sleep(60)"])
    [outcome] = run_notebooks([(tmp_path / "slow.ipynb", "slow.ipynb")], run_dir=tmp_path / "run",
                              cell_timeout=120, wall_limit=8)
    assert outcome.status == "wall-limit"


def test_kernel_that_cannot_start_is_retried_once_then_reported(tmp_path, monkeypatch):
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-die.py").write_text("import os\nos._exit(3)\n")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    write_notebook(tmp_path / "never.ipynb", ["x = 1"])
    [outcome] = run_notebooks([(tmp_path / "never.ipynb", "never.ipynb")], run_dir=tmp_path / "run",
                              cell_timeout=20, wall_limit=120)
    assert (outcome.status, outcome.attempts) == ("kernel-start", 2)
