"""Each Clarify bias metric against numbers worked out by hand from the definitions on its AWS docs page.

The dataset is given as counts of (facet, label, predicted label, group) so every expected value below is plain
arithmetic on those counts, never a call into the code under test.
"""

import math

import pandas as pd
import pytest

from mla.clarify import bias

# (sex, label, predicted label, group, how many rows); facet d is sex == "f"
ROWS = [("m", 1, 1, "A", 3), ("m", 1, 1, "B", 2), ("m", 1, 0, "B", 1), ("m", 0, 1, "A", 1), ("m", 0, 0, "A", 2),
        ("m", 0, 0, "B", 3),
        ("f", 1, 1, "A", 1), ("f", 1, 0, "B", 1), ("f", 0, 1, "A", 1), ("f", 0, 1, "B", 1), ("f", 0, 0, "A", 1),
        ("f", 0, 0, "B", 3)]
# facet a (m): 12 rows, TP 5, FN 1, FP 1, TN 5; facet d (f): 8 rows, TP 1, FN 1, FP 2, TN 4
NA, ND, N = 12, 8, 20


@pytest.fixture
def table():
    records = [(sex, y, yhat, group) for sex, y, yhat, group, count in ROWS for _ in range(count)]
    return pd.DataFrame(records, columns=["sex", "approved", "predicted", "dept"])


def kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi > 0)


def test_pretraining_metrics_match_their_definitions(table):
    got = bias.pretraining(table, "approved", "sex", [1], ["f"], group_variable="dept")
    qa, qd = 6 / 12, 2 / 8  # positive labels per facet
    pa, pd_ = [1 - qa, qa], [1 - qd, qd]
    mean = [(x + y) / 2 for x, y in zip(pa, pd_, strict=True)]
    # CDDL strata: A has 9 rows (rejected 5, 2 of them f; accepted 4, 1 of them f), B 11 rows (rejected 7, 4 f;
    # accepted 4, 1 f)
    cddl = (9 * (2 / 5 - 1 / 4) + 11 * (4 / 7 - 1 / 4)) / 20
    expected = {"CI": (NA - ND) / (NA + ND), "DPL": qa - qd, "KL": kl(pa, pd_),
                "JS": 0.5 * (kl(pa, mean) + kl(pd_, mean)), "LP": math.sqrt(0.25 ** 2 + 0.25 ** 2),
                "TVD": 0.5 * (0.25 + 0.25), "KS": 0.25, "CDDL": cddl}
    assert got == pytest.approx(expected, abs=1e-12)
    assert expected["KL"] == pytest.approx(0.5 * math.log(4 / 3))


def test_posttraining_metrics_match_their_definitions(table):
    got = bias.posttraining(table, "approved", "predicted", "sex", [1], ["f"], group_variable="dept")
    tp_a, fn_a, fp_a, tn_a = 5, 1, 1, 5
    tp_d, fn_d, fp_d, tn_d = 1, 1, 2, 4
    benefit = [1] * (tp_a + tp_d + tn_a + tn_d) + [2] * (fp_a + fp_d) + [0] * (fn_a + fn_d)  # y' - y + 1
    mu = sum(benefit) / N
    expected = {
        "DPPL": (tp_a + fp_a) / NA - (tp_d + fp_d) / ND,
        "DI": ((tp_d + fp_d) / ND) / ((tp_a + fp_a) / NA),
        "DCA": (tp_a + fn_a) / (tp_a + fp_a) - (tp_d + fn_d) / (tp_d + fp_d),
        "DCR": (tn_d + fp_d) / (tn_d + fn_d) - (tn_a + fp_a) / (tn_a + fn_a),
        "SD": tn_d / (tn_d + fp_d) - tn_a / (tn_a + fp_a),
        "RD": tp_a / (tp_a + fn_a) - tp_d / (tp_d + fn_d),
        "DAR": tp_a / (tp_a + fp_a) - tp_d / (tp_d + fp_d),
        "DRR": tn_d / (tn_d + fn_d) - tn_a / (tn_a + fn_a),
        "AD": (tp_a + tn_a) / NA - (tp_d + tn_d) / ND,
        "TE": fn_d / fp_d - fn_a / fp_a,
        # predicted labels per stratum: A accepted 6 (2 f), rejected 3 (1 f); B accepted 3 (1 f), rejected 8 (4 f)
        "CDDPL": (9 * (1 / 3 - 2 / 6) + 11 * (4 / 8 - 1 / 3)) / 20,
        "GE": sum((b / mu) ** 2 - 1 for b in benefit) / (N * 2 * 1),
    }
    assert got == pytest.approx(expected, abs=1e-12)
    assert "FT" not in got  # no numeric feature to find neighbours with, so "all" leaves it out
    assert (expected["DPPL"], expected["DI"], expected["TE"]) == pytest.approx((0.125, 0.75, -0.5))


def test_flip_test_counts_flips_against_the_nearest_neighbours_in_facet_a():
    # facet a: five rows near 0 the model accepts, five near 10 it rejects (k = 5 neighbours)
    a = [(x, "a", 1) for x in (0, 0.1, 0.2, 0.3, 0.4)] + [(x, "a", 0) for x in (10, 10.1, 10.2, 10.3, 10.4)]
    # facet d: near 0 and rejected (F+) twice, near 10 and accepted (F-) once, near 0 and accepted (no flip) once
    d = [(0.2, "d", 0), (0.25, "d", 0), (10.2, "d", 1), (0.15, "d", 1)]
    frame = pd.DataFrame(a + d, columns=["x", "group", "predicted"]).assign(label=1)
    got = bias.posttraining(frame, "label", "predicted", "group", [1], ["d"], methods=["FT"])
    assert got == {"FT": pytest.approx((2 - 1) / 4)}


def test_numeric_thresholds_are_exclusive_lower_bounds():
    frame = pd.DataFrame({"age": range(20, 60), "income": [1000 * i for i in range(40)]})
    # facet d: age > 40 (19 rows of 40); positive label: income > 25000 (14 rows)
    got = bias.pretraining(frame, "income", "age", [25000], [40], methods=["CI", "DPL"])
    d_positive = 14 / 19  # ages 41..59 have incomes 21000..39000, of which 26000..39000 are above 25000
    a_positive = 0 / 21
    assert got == pytest.approx({"CI": (21 - 19) / 40, "DPL": a_positive - d_positive})


def test_report_has_one_analysis_per_facet_value_when_no_value_is_given(table):
    report = bias.bias_report(table, "approved", "sex", [1], None, methods=["CI", "CDDL"])
    assert report["label"] == "approved" and report["label_value_or_threshold"] == "1"
    analyses = report["facets"]["sex"]
    assert [a["value_or_threshold"] for a in analyses] == ["f", "m"]
    ci_f, cddl_f = analyses[0]["metrics"]
    assert ci_f == {"name": "CI", "description": "Class Imbalance (CI)", "value": (12 - 8) / 20}
    assert cddl_f["name"] == "CDDL" and "group_variable" in cddl_f["error"]
    assert analyses[1]["metrics"][0]["value"] == (8 - 12) / 20


def test_bad_configuration_is_a_clear_error(table):
    with pytest.raises(ValueError, match="several values"):
        bias.pretraining(table, "approved", "sex", [1])
    with pytest.raises(ValueError, match="not in the dataset"):
        bias.pretraining(table, "approved", "gender", [1], ["f"])
    with pytest.raises(ValueError, match="Unknown bias metric"):
        bias.posttraining(table, "approved", "predicted", "sex", [1], ["f"], methods=["XYZ"])
    with pytest.raises(bias.BiasMetricError, match="group_variable"):
        bias.pretraining(table, "approved", "sex", [1], ["f"], methods=["CDDL"])
