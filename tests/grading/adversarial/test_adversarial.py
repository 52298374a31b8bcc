"""Hostile and broken submissions, all collected and graded in ONE sandboxed batch: each gets its expected
score and flag, the batch finishes, and a correct submission keeps full marks."""

import json

import nbformat
import pytest

from graders.config import course_config, write_config_file
from graders.course import api_for
from graders.instructor import autograde, collect
from graders.sandbox import Limits, protections

ASSIGNMENT = "quiz"
RIGHT_1 = "return float(np.mean(xs))"
RIGHT_2 = "return [i for i in range(n) if i % 2 == 0]"
NETWORK, FILES = "network: new namespace, loopback only", "files: source/, gradebook, solutions, other submissions hidden"
REQUIRES = {"network": NETWORK, "reads_solutions": FILES, "writes_gradebook": FILES,
            "fork_bomb": "limits: process count (setrlimit, enforced for non-root uids)"}


def _source_notebook():
    def nbg(grade_id, **flags):
        return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "task": False, **flags}}

    cells = [
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell(f"def mean_of(xs):\n    ### BEGIN SOLUTION\n    {RIGHT_1}\n    ### END SOLUTION",
                                  metadata=nbg("ex1", grade=False, solution=True, locked=False)),
        nbformat.v4.new_code_cell(
            'got = mean_of([1, 2, 3])\nassert got == 2.0, "the mean of 1, 2, 3"\n'
            '### BEGIN HIDDEN TESTS\nfresh = mean_of([10, 30])\nassert fresh == 20.0, "the mean of fresh numbers"\n'
            "### END HIDDEN TESTS", metadata=nbg("ex1_tests", grade=True, solution=False, locked=True, points=2)),
        nbformat.v4.new_code_cell(f"def evens(n):\n    ### BEGIN SOLUTION\n    {RIGHT_2}\n    ### END SOLUTION",
                                  metadata=nbg("ex2", grade=False, solution=True, locked=False)),
        nbformat.v4.new_code_cell('got2 = evens(5)\nassert got2 == [0, 2, 4], "even numbers below n"',
                                  metadata=nbg("ex2_tests", grade=True, solution=False, locked=True, points=2)),
    ]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                           "display_name": "Python 3"}})


def _answer(source, ex1=RIGHT_1, ex2=RIGHT_2, before=""):
    nb = nbformat.from_dict(json.loads(json.dumps(source)))
    nb.cells[1].source = f"{before}\ndef mean_of(xs):\n    " + ex1.replace("\n", "\n    ")
    nb.cells[3].source = "def evens(n):\n    " + ex2.replace("\n", "\n    ")
    return nb


def _cases(root):
    source_path = root / "source" / ASSIGNMENT / "quiz.ipynb"
    gradebook = root / "gradebook.db"
    transformer = "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"
    strip_asserts = ("import ast\nclass S(ast.NodeTransformer):\n    def visit_Assert(self, node):\n"
                     "        return ast.Pass()\nget_ipython().ast_transformers.append(S())")
    always_equal = "class Yes:\n    def __eq__(self, other):\n        return True\nreturn Yes()"
    forged = ("from IPython.display import publish_display_data\npublish_display_data({'application/vnd.mla."
              "capture+json': {'cell': 'ex1_tests', 'index': 0, 'values': {'got': {'ok': {'$': 'float', 'v': '2.0'}}}}})")

    def attempt(action):  # earns the answer only if the forbidden action works
        return f"try:\n    {action}\nexcept OSError as error:\n    raise RuntimeError(str(error))\n{RIGHT_1}"

    # name -> (notebook or raw bytes, file name, (ex1, ex2) scores, flag or rejection text expected)
    return {
        "right": (lambda s: _answer(s), None, (2, 2), None),
        "wrong": (lambda s: _answer(s, ex1="return 0.0"), None, (0, 2), None),
        "right_but_warns": (lambda s: _answer(s, ex1=f"import warnings\nwarnings.warn('old', DeprecationWarning)\n{RIGHT_1}"),
                            None, (2, 2), None),
        "always_equal": (lambda s: _answer(s, ex1=always_equal), None, (0, 2), None),
        "input_transformer": (lambda s: _answer(s, ex1="return 0.0", before=transformer), None, (0, 0), None),
        "ast_transformer": (lambda s: _answer(s, ex1="return 0.0", ex2="return []", before=strip_asserts), None,
                            (0, 0), None),
        "redefined_capture": (lambda s: _answer(s, ex1="return 0.0", before="__mla_capture__ = print"), None, (0, 2), None),
        "patched_modules": (lambda s: _answer(s, ex2="return [0, 1]", before="import operator, numpy\noperator.eq = "
                                              "lambda a, b: True\nnumpy.array_equal = operator.eq"), None, (2, 0), None),
        "forged_capture": (lambda s: _answer(s, ex1="return 0.0", before=forged), None, (0, 2), None),
        "memory_bomb": (lambda s: _answer(s, ex1=f"blob = bytearray(8 << 30)\n{RIGHT_1}"), None, (0, 2), "memory limit"),
        "fork_bomb": (lambda s: _answer(s, ex1="import subprocess\nwhile True:\n    subprocess.Popen(['sleep', '30'])"),
                      None, (0, 2), "process limit"),
        "disk_filler": (lambda s: _answer(s, ex1="with open('fill', 'wb') as f:\n    for _ in range(100):\n"
                                          "        f.write(b'0' * (1 << 20))"), None, (0, 2), "disk limit"),
        "output_flood": (lambda s: _answer(s, ex1=f"print('x' * 100_000 * 40)\n{RIGHT_1}"), None, (2, 2),
                         "output flood truncated"),
        "network": (lambda s: _answer(s, ex1=attempt("__import__('socket').create_connection(('93.184.216.34', 80), 3)")),
                    None, (0, 2), "network blocked"),
        "reads_solutions": (lambda s: _answer(s, ex1=attempt(f"open({str(source_path)!r}).read()")), None, (0, 2),
                            "file access denied"),
        "writes_gradebook": (lambda s: _answer(s, ex1=attempt(f"open({str(gradebook)!r}, 'ab').write(b'x')")), None,
                             (0, 2), "file access denied"),
        "kernel_death": (lambda s: _answer(s, ex2="import os\nos._exit(1)"), None, (2, 0), "kernel died"),
        "swallowed_interrupt": (lambda s: _answer(s, ex2="import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
                                                  "    except KeyboardInterrupt:\n        pass"), None, (2, 0),
                                "interrupt ignored, kernel killed"),
        "duplicated_test_cell": (lambda s: _with(_answer(s), lambda nb: nb.cells.insert(2, nb.cells[2])), None, (2, 2),
                                 "duplicated locked cell ex1_tests"),
        "deleted_test_cell": (lambda s: _with(_answer(s), lambda nb: nb.cells.pop(4)), None, (2, 2),
                              "deleted locked cell ex2_tests restored"),
        "edited_locked_cell": (lambda s: _with(_answer(s, ex1="return 0.0"), lambda nb: setattr(nb.cells[2], "source", "pass")),
                               None, (0, 2), "edited locked cell ex1_tests restored"),
        "changed_kernelspec": (lambda s: _with(_answer(s), lambda nb: nb.metadata.update(kernelspec={"name": "evil",
                               "display_name": "evil", "language": "python"})), None, (2, 2), "kernelspec evil replaced"),
        "renamed_notebook": (lambda s: _answer(s), "my_quiz_final.ipynb", (2, 2), None),
        "leaks_secret": (lambda s: _answer(s, ex1=f"print('AKIA' + 'ABCDEFGHIJKLMNOP')\n{RIGHT_1}", before="# AKIA" + "QWERTYUIOPASDFGH"),
                         None, (2, 2), None),
        "malformed_json": (b'{"cells": [', None, (0, 0), "not a valid notebook"),
        "oversized": (b'{"cells": [], "pad": "' + b"x" * (21 << 20) + b'"}', None, (0, 0), "the limit is 20 MB"),
    }


def _with(nb, change):
    change(nb)
    return nb


@pytest.fixture
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    write_config_file(root, course_config(root))
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    source = _source_notebook()
    nbformat.write(source, root / "source" / ASSIGNMENT / "quiz.ipynb")
    assert api_for(root).generate_assignment(ASSIGNMENT, force=True, create=True)["success"]
    inbox = tmp_path_factory.mktemp("inbox")
    cases = _cases(root)
    for student, (make, name, _, _) in cases.items():
        target = inbox / student / (name or "quiz.ipynb")
        target.parent.mkdir()
        if isinstance(make, bytes):
            target.write_bytes(make)
        else:
            nbformat.write(make(source), target)
    collected = {c.student: c for c in collect(root, ASSIGNMENT, inbox)}
    limits = Limits(cell_timeout=4, notebook_timeout=40, file_size_bytes=16 << 20, output_chars=50_000)
    results = {r.student: r for r in autograde(root, ASSIGNMENT, workers=2, limits=limits)}
    return root, cases, collected, results


def test_every_case_gets_its_expected_outcome_in_one_batch(batch):
    root, cases, collected, results = batch
    assert set(results) == set(cases)  # the batch finished and graded or rejected each submission
    wrong = {}
    for case, (_, _, expected, flag) in cases.items():
        needed = REQUIRES.get(case)
        if needed and not protections().active[needed]:
            continue  # this machine cannot offer the protection (reported OFF by `mla course autograde`)
        result = results[case]
        outcome = " | ".join(result.flags + [result.rejected or ""])
        if tuple(t.score for t in result.tests) != expected or (flag and flag not in outcome):
            wrong[case] = ([t.score for t in result.tests], outcome, [t.message for t in result.tests])
    assert wrong == {}

    # tests that did not run score zero and say so
    assert {t.status for t in results["input_transformer"].tests} == {"not executed"}
    assert results["kernel_death"].tests[1].status == "error"

    # collect maps a renamed file and reports secrets
    assert "renamed my_quiz_final.ipynb -> quiz.ipynb" in collected["renamed_notebook"].flags
    assert any(f.startswith("possible secret") for f in collected["leaks_secret"].flags)
    assert not any("possible secret" in f for f in collected["right"].flags)

    # graded notebooks (what feedback is made from) hide hidden tests and secrets
    for student in ("right", "wrong", "leaks_secret"):
        text = (root / "autograded" / student / ASSIGNMENT / "quiz.ipynb").read_text()
        assert "fresh" not in text and "HIDDEN" not in text
    leaked = (root / "autograded" / "leaks_secret" / ASSIGNMENT / "quiz.ipynb").read_text()
    assert "AKIA" + "ABCDEFGHIJKLMNOP" not in leaked and "[REDACTED]" in leaked


def test_protections_are_reported():
    lines = protections().lines()
    assert any("wall clock" in line for line in lines)
    assert all(line.startswith(("on ", "OFF")) for line in lines)
