import copy
import subprocess
import sys

import pytest
import yaml

from mla.exam.questions import BankError, load_bank

GOOD = {
    "id": "ok-question", "exams": ["C02", "C01"], "domain": 1, "task": "1.1", "skills": ["1.1.5"], "c01_task": "1.1",
    "type": "single", "stem": "Which one?",
    "options": [{"id": k, "text": f"text {k}", "explanation": f"why {k}"} for k in "ABCD"],
    "answer": ["B"], "references": [{"title": "Athena", "url": "https://docs.aws.amazon.com/athena/latest/ug/work-with-data.html"}],
    "difficulty": "easy", "last_checked": "2026-11-26",
}


def mutate(change):
    question = copy.deepcopy(GOOD)
    change(question)
    return question


CASES = {
    "answer names a missing option": (lambda q: q.update(answer=["Z"]), "answer", "'Z' is not an option id"),
    "option without explanation": (lambda q: q["options"][2].pop("explanation"), "options[C].explanation", "explanation"),
    "unknown skill": (lambda q: q.update(skills=["9.9.9"]), "skills", "not a skill"),
    "skill of another task": (lambda q: q.update(skills=["1.2.7"]), "skills", "not a skill of task 1.1"),
    "bad C01 task": (lambda q: q.update(c01_task="7.1"), "c01_task", "not a C01 task"),
    "C01 without its task": (lambda q: q.pop("c01_task"), "c01_task", "required when exams include C01"),
    "no references": (lambda q: q.update(references=[]), "references", "at least one"),
    "non-AWS reference": (lambda q: q["references"][0].update(url="https://example.com/x"), "references[1].url", "AWS page"),
    "unknown type": (lambda q: q.update(type="essay"), "type", "not one of"),
    "two answers for single": (lambda q: q.update(answer=["A", "B"]), "answer", "exactly one answer"),
    "multiple without choose-N": (lambda q: q.update(type="multiple", answer=["A", "B"],
                                                     options=GOOD["options"] + [{"id": "E", "text": "e", "explanation": "x"}]),
                                  "stem", "choose TWO"),
    "ordering that skips an item": (lambda q: q.update(type="ordering", answer=["A", "B", "C"]), "answer", "every item"),
    "matching prompt without match": (lambda q: q.update(type="matching", answer={"1": "A", "2": "B"},
                                                         prompts=[{"id": str(i), "text": "p"} for i in (1, 2, 3)]),
                                      "answer", "prompt '3' has no match"),
    "task outside the domain": (lambda q: q.update(domain=2), "task", "not in domain 2"),
    "missing stem field": (lambda q: q.pop("stem"), "stem", "is required"),
    "typo field": (lambda q: q.update(explanaton="x"), "explanaton", "not a known field"),
    "bad date": (lambda q: q.update(last_checked="yesterday"), "last_checked", "YYYY-MM-DD"),
    "bare number as option text": (lambda q: q["options"][1].update(text=30), "options[B].text", "quote numbers"),
    "case not defined": (lambda q: q.update(case="nowhere"), "case", "not a case defined"),
}


def write(folder, name, questions, cases=None):
    folder.mkdir(exist_ok=True)
    doc = {"questions": questions} if cases is None else {"cases": cases, "questions": questions}
    (folder / name).write_text(yaml.safe_dump(doc))


def test_the_shipped_bank_is_valid_and_covers_every_domain_and_type(bank):
    assert {q.domain for q in bank.values()} == {1, 2, 3, 4}
    assert {q.type for q in bank.values()} == {"single", "multiple", "ordering", "matching"}
    assert any(q.case for q in bank.values())


def test_a_good_question_passes(tmp_path):
    write(tmp_path / "bank", "one.yaml", [GOOD])
    assert list(load_bank(tmp_path / "bank")) == ["ok-question"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_malformed_question_is_named_with_file_question_and_field(tmp_path, case):
    change, field, words = CASES[case]
    write(tmp_path / "bank", "broken.yaml", [mutate(change)])
    with pytest.raises(BankError) as caught:
        load_bank(tmp_path / "bank")
    messages = [str(p) for p in caught.value.problems]
    assert any("broken.yaml" in m and "ok-question" in m and f": {field}: " in m and words in m for m in messages), messages


def test_duplicate_ids_across_files_are_rejected(tmp_path):
    write(tmp_path / "bank", "a.yaml", [GOOD])
    write(tmp_path / "bank", "b.yaml", [GOOD])
    with pytest.raises(BankError, match=r"b\.yaml: question ok-question: id: duplicate id \(first used in .*a\.yaml\)"):
        load_bank(tmp_path / "bank")


def test_invalid_yaml_names_the_file(tmp_path):
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "bad.yaml").write_text("questions: [\n")
    with pytest.raises(BankError, match="bad.yaml.*not valid YAML"):
        load_bank(tmp_path / "bank")


def test_mla_questions_validate_exits_non_zero_with_the_messages(tmp_path):
    write(tmp_path / "bank", "broken.yaml", [mutate(lambda q: q.update(answer=["Z"]))])
    bad = subprocess.run([sys.executable, "-m", "mla.cli", "questions", "validate", "--bank", str(tmp_path / "bank")],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "broken.yaml: question ok-question: answer: 'Z' is not an option id" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "mla.cli", "questions", "validate"], capture_output=True, text=True)
    assert good.returncode == 0 and "questions OK" in good.stdout
