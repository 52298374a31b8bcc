"""The test-cell convention: what is a check, what is captured, and how the checker judges captured data."""

import pytest

from graders.capture import NotPlainData, encode
from graders.checker import evaluate
from graders.probes import ConventionError, split


def test_asserts_and_marked_assignments_become_checks_the_rest_is_probe():
    cell = split('keys = f(lab.bucket)\nexpected = sorted(raw)  # mla: check\nassert keys == expected, "m"\n'
                 "### BEGIN HIDDEN TESTS\nassert lab.prefix in keys[0], 'h'\n### END HIDDEN TESTS", "t1")
    assert [c.hidden for c in cell.checks] == [False, False, True]
    assert cell.checks[0].names == ["raw"] and cell.checks[1].names == ["keys"]  # `expected` is check-side, `sorted` trusted
    assert cell.checks[2].chains == ["lab.prefix"]
    assert "keys = f(lab.bucket)" in cell.probe and "assert" not in cell.probe and "sorted(raw)" not in cell.probe


def test_calls_of_kernel_code_in_an_assert_are_made_in_the_kernel_and_only_their_results_checked():
    cell = split("assert pick(dict(need)) == 'A' and np.isclose(model.score(x), 0.5), 'wrong'\n"
                 "expected = rows.sort_values('day')  # mla: check\nassert got.equals(expected)", "t")
    first, marked, last = cell.checks
    assert first.calls == ["pick(dict(need))", "model.score(x)"] and first.names == []
    assert marked.calls == [] and marked.names == ["rows"]  # a marked assignment computes on the checker's side
    assert "'call:pick(dict(need))': lambda: pick(dict(need))" in cell.probe
    captured = {"call:pick(dict(need))": {"ok": "A"}, "call:model.score(x)": {"ok": encode(0.5)}}
    assert evaluate(_cell(first.source, captured))["passed"]
    raised = evaluate(_cell(first.source, {**captured, "call:pick(dict(need))": {"error": "NotImplementedError: "}}))
    assert not raised["passed"] and raised["message"].startswith("could not get pick(dict(need)): NotImplementedError")
    chained = split("assert s3.head_object(Bucket=b)['ContentLength'] == 3 and all(results.values())", "t")
    assert chained.checks[0].calls == ["s3.head_object(Bucket=b)['ContentLength']", "results.values()"]
    assert evaluate(_cell(chained.checks[0].source, {"call:s3.head_object(Bucket=b)['ContentLength']": {"ok": 3},
                                                     "call:results.values()": {"ok": encode({"a": True}.values())}}))["passed"]


@pytest.mark.parametrize("source, problem", [
    ("assert all(check(b) == [] for b in batches)", "comprehension variable"),
    ("for x in xs:\n    assert x", "top level"), ("y = f()", "no assert"), ("x = (", "does not parse"),
    ("x += 1  # mla: check\nassert x", "plain assignments")])
def test_cells_that_cannot_be_checked_out_of_process_are_rejected(source, problem):
    with pytest.raises(ConventionError, match=problem):
        split(source, "t")


def test_only_exact_plain_types_are_exported():
    class Sneaky(int):
        def __eq__(self, other):
            return True

    with pytest.raises(NotPlainData):
        encode(Sneaky(1))
    with pytest.raises(NotPlainData):
        encode([1, object()])


def _cell(source, captured):
    return {"key": "t", "checks": [{"index": 0, "source": source, "captured": captured}]}


def test_checker_judges_captured_values_and_treats_missing_captures_as_not_run():
    import pandas as pd

    frame = pd.DataFrame({"day": ["a", "b"], "v": [1, 2]})
    data = {"got": {"ok": encode(frame)}, "lab.prefix": {"ok": "p"}, "lab": {"error": "Lab is not plain data"}}
    assert evaluate(_cell("assert got.equals(pd.DataFrame({'day': ['a', 'b'], 'v': [1, 2]})) and lab.prefix == 'p'",
                          data))["passed"]
    failed = evaluate(_cell("assert list(got['v']) == [2, 1], 'order'", data))
    assert (failed["passed"], failed["message"]) == (False, "order")
    assert evaluate(_cell("assert got", None))["reason"] == "not executed"
    assert "not plain data" in evaluate(_cell("assert thing == 1", {"thing": {"error": "Yes is not plain data"}}))["message"]


def test_a_test_cell_breaking_the_convention_is_not_run_and_reported_without_sinking_the_rest():
    import nbformat

    from graders.compose import compose

    def test_cell(grade_id, source):
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
            "grade_id": grade_id, "grade": True, "solution": False, "locked": True, "points": 1, "schema_version": 3}})

    source = nbformat.v4.new_notebook(cells=[test_cell("loop_tests", "for x in [1]:\n    assert x"),
                                             test_cell("ok_tests", "y = 1\nassert y == 1")])
    composed = compose(source, source)
    assert list(composed.tests) == ["ok_tests"] and set(composed.unsplittable) == {"loop_tests"}
    assert "top level" in composed.unsplittable["loop_tests"][1]
    assert [c.metadata["nbgrader"]["grade_id"] for c in composed.notebook.cells] == ["ok_tests"]
