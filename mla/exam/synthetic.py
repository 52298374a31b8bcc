"""A bank of placeholder questions of every type in every domain, for load tests and benchmarks only
(the real bank is curriculum/questions). Written as YAML so it goes through the same validator."""

from __future__ import annotations

from pathlib import Path

import yaml

from .. import syllabus

REFERENCE = [{"title": "placeholder", "url": "https://docs.aws.amazon.com/sagemaker/latest/dg/whatis.html"}]


def _options(count: int) -> list[dict]:
    return [{"id": chr(65 + i), "text": f"option {chr(65 + i)}", "explanation": "placeholder"} for i in range(count)]


def write_synthetic_bank(folder: Path, per_type_and_domain: int, cases_per_domain: int = 1) -> Path:
    """``per_type_and_domain`` questions of each type in each domain, plus case studies of two questions each."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for domain in syllabus.load()["C02"]["domains"]:
        d, task = domain["id"], domain["tasks"][0]
        base = {"exams": ["C02", "C01"], "domain": d, "task": task["id"], "skills": [task["skills"][0]["id"]],
                "c01_task": task["id"], "references": REFERENCE, "difficulty": "medium", "last_checked": "2026-11-26"}
        questions, cases = [], []
        for n in range(per_type_and_domain):
            questions += [
                {**base, "id": f"syn-d{d}-single-{n}", "type": "single", "stem": "Pick one.",
                 "options": _options(4), "answer": ["B"]},
                {**base, "id": f"syn-d{d}-multiple-{n}", "type": "multiple", "stem": "Pick two. (Choose TWO.)",
                 "options": _options(5), "answer": ["A", "C"]},
                {**base, "id": f"syn-d{d}-ordering-{n}", "type": "ordering", "stem": "Order them.",
                 "options": _options(4), "answer": ["C", "A", "D", "B"]},
                {**base, "id": f"syn-d{d}-matching-{n}", "type": "matching", "stem": "Match them.",
                 "prompts": [{"id": str(i), "text": f"prompt {i}"} for i in (1, 2, 3)],
                 "options": _options(3), "answer": {"1": "B", "2": "C", "3": "A"}},
            ]
        for c in range(cases_per_domain):
            cases.append({"id": f"syn-case-d{d}-{c}", "title": f"Case {c}", "scenario": "A scenario."})
            questions += [{**base, "id": f"syn-d{d}-case{c}-q{k}", "type": "single", "case": f"syn-case-d{d}-{c}",
                           "stem": "About the case.", "options": _options(4), "answer": ["A"]} for k in (1, 2)]
        (folder / f"synthetic_domain{d}.yaml").write_text(yaml.safe_dump({"cases": cases, "questions": questions}))
    return folder
