"""How the Clarify job reads the shadow endpoint's answers (the formats the serving layer's containers produce)."""

import numpy as np
import pytest

from mla.clarify.predictor import parse_answers, pick, scores


def test_xgboost_csv_answer_has_all_scores_on_one_line():
    answers = parse_answers("0.25,0.75,0.5", "text/csv; charset=utf-8", 3)
    np.testing.assert_array_equal(scores(answers, None), [0.25, 0.75, 0.5])


def test_csv_answer_with_several_values_per_record_needs_the_index_to_explain():
    answers = parse_answers("1,0.9\n0,0.2\n", "text/csv", 2)
    np.testing.assert_array_equal(scores(answers, 1), [0.9, 0.2])
    assert pick(answers[0], None) == [1.0, 0.9]  # a score list: label_headers can name the best class
    with pytest.raises(ValueError, match="several values per record"):
        scores(answers, None)


def test_json_lines_and_json_answers_are_read_by_key():
    lines = parse_answers('{"score": 0.1}\n{"score": 0.8}\n', "application/jsonlines", 2)
    document = parse_answers('{"predictions": [{"score": 0.1}, {"score": 0.8}]}', "application/json", 2)
    for answers in (lines, document):
        np.testing.assert_array_equal(scores(answers, "score"), [0.1, 0.8])
        np.testing.assert_array_equal(scores(answers, None), [0.1, 0.8])  # a single key needs no name


def test_answer_count_must_match_the_records_sent():
    with pytest.raises(ValueError, match="answered 2 predictions for 3 records"):
        parse_answers("0.1\n0.2\n", "text/csv", 3)
