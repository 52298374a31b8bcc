"""Checks on the question bank's raw YAML; every problem names the file, the question id and the field."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .. import syllabus

QUESTION_FIELDS = {"id", "exams", "domain", "task", "skills", "c01_task", "type", "case", "stem", "options",
                   "prompts", "answer", "references", "difficulty", "last_checked"}
REQUIRED = QUESTION_FIELDS - {"c01_task", "case", "prompts"}
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DIFFICULTIES = {"easy", "medium", "hard"}
DOC_HOSTS = ("https://docs.aws.amazon.com/", "https://aws.amazon.com/")
# Sizes the exam guides give: multiple choice 1 right of 4+, multiple response 2+ right of 5+,
# ordering 3-5 items, matching 3-7 prompts.
MIN_OPTIONS = {"single": 4, "multiple": 5}


@dataclass(frozen=True)
class Problem:
    file: str
    question: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: question {self.question}: {self.field}: {self.message}"


def problems_in_bank(docs: dict[Path, object]) -> list[Problem]:
    """Problems across the whole bank (duplicate ids are checked across files)."""
    found: list[Problem] = []
    first_seen: dict[str, str] = {}
    for path, doc in docs.items():
        found += _problems_in_file(str(path), doc, first_seen)
    return found


def _problems_in_file(file: str, doc: object, first_seen: dict[str, str]) -> list[Problem]:
    if not isinstance(doc, dict) or not isinstance(doc.get("questions"), list):
        return [Problem(file, "-", "questions", "the file must be a mapping with a `questions` list")]
    found: list[Problem] = []
    cases = set()
    for index, case in enumerate(doc.get("cases") or []):
        where = f"case #{index + 1}"
        if not isinstance(case, dict) or not all(isinstance(case.get(k), str) and case.get(k).strip()
                                                 for k in ("id", "title", "scenario")):
            found.append(Problem(file, where, "cases", "a case needs non-empty `id`, `title` and `scenario`"))
        else:
            cases.add(case["id"])
    for index, entry in enumerate(doc["questions"]):
        qid = entry.get("id") if isinstance(entry, dict) else None
        label = qid if isinstance(qid, str) else f"#{index + 1}"
        if not isinstance(entry, dict):
            found.append(Problem(file, label, "-", "each question must be a mapping"))
            continue
        found += [Problem(file, label, field, message) for field, message in question_problems(entry, cases)]
        if isinstance(qid, str):
            if qid in first_seen:
                found.append(Problem(file, label, "id", f"duplicate id (first used in {first_seen[qid]})"))
            else:
                first_seen[qid] = file
    return found


def question_problems(q: dict, cases: set[str]) -> list[tuple[str, str]]:
    """(field, message) for each problem of one question."""
    found = [(f, "is required") for f in sorted(REQUIRED - q.keys())]
    found += [(f, "is not a known field") for f in sorted(q.keys() - QUESTION_FIELDS)]
    if found:
        return found
    if not isinstance(q["id"], str) or not ID.match(q["id"]):
        found.append(("id", "must be lowercase letters, digits and dashes"))
    found += _tag_problems(q)
    qtype = q["type"]
    if qtype not in ("single", "multiple", "ordering", "matching"):
        return found + [("type", f"{qtype!r} is not one of single, multiple, ordering, matching")]
    if q.get("case") is not None and q["case"] not in cases:
        found.append(("case", f"{q['case']!r} is not a case defined in this file's `cases`"))
    if not isinstance(q["stem"], str) or not q["stem"].strip():
        found.append(("stem", "must be non-empty text"))
    options = _choices(q["options"], "options", found, need_explanation=True)
    prompts = _choices(q.get("prompts") or [], "prompts", found, need_explanation=False)
    if options is not None and prompts is not None:
        found += _answer_problems(qtype, q["answer"], options, prompts, q["stem"])
    found += _reference_problems(q["references"])
    if q["difficulty"] not in DIFFICULTIES:
        found.append(("difficulty", f"must be one of {sorted(DIFFICULTIES)}"))
    if not isinstance(q["last_checked"], dt.date):
        try:
            dt.date.fromisoformat(str(q["last_checked"]))
        except ValueError:
            found.append(("last_checked", "must be a date YYYY-MM-DD"))
    return found


def _tag_problems(q: dict) -> list[tuple[str, str]]:
    found = []
    exams = q["exams"]
    if not isinstance(exams, list) or not exams or set(exams) - {"C02", "C01"}:
        found.append(("exams", "must be a non-empty list of C02 and/or C01"))
        exams = []
    tasks = {t["id"]: {s["id"] for s in t["skills"]}
             for d in syllabus.load()["C02"]["domains"] for t in d["tasks"]}
    domain, task = q["domain"], str(q["task"])
    if domain not in (1, 2, 3, 4):
        found.append(("domain", "must be 1, 2, 3 or 4"))
    if task not in tasks:
        found.append(("task", f"{task!r} is not a C02 task in curriculum/syllabus.yaml"))
    elif task.split(".")[0] != str(domain):
        found.append(("task", f"{task} is not in domain {domain}"))
    skills = q["skills"] if isinstance(q["skills"], list) else []
    if not skills:
        found.append(("skills", "must list at least one C02 skill id"))
    all_skills = syllabus.c02_skills()
    for skill in skills:
        if str(skill) not in all_skills:
            found.append(("skills", f"{skill!r} is not a skill in curriculum/syllabus.yaml"))
        elif task in tasks and str(skill) not in tasks[task]:
            found.append(("skills", f"{skill} is not a skill of task {task}"))
    c01 = q.get("c01_task")
    if "C01" in exams and c01 is None:
        found.append(("c01_task", "is required when exams include C01"))
    if c01 is not None and str(c01) not in syllabus.c01_tasks():
        found.append(("c01_task", f"{c01!r} is not a C01 task id in curriculum/syllabus.yaml"))
    return found


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _choices(items, field: str, found: list, need_explanation: bool) -> list[str] | None:
    if not isinstance(items, list):
        found.append((field, "must be a list"))
        return None
    ids = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            found.append((f"{field}[{n}]", "needs an `id` and a non-empty `text`"))
            continue
        ids.append(str(item["id"]))
        if not _is_text(item.get("text")):
            found.append((f"{field}[{item['id']}].text", "must be non-empty text (quote numbers: text: '30')"))
        if need_explanation and not _is_text(item.get("explanation")):
            found.append((f"{field}[{item['id']}].explanation", "every option needs an explanation of why it is right or wrong"))
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        found.append((field, f"duplicate ids {duplicates}"))
    return ids


def _answer_problems(qtype: str, answer, options: list[str], prompts: list[str], stem: str) -> list[tuple[str, str]]:
    if qtype == "matching":
        if not 3 <= len(prompts) <= 7:
            return [("prompts", "a matching question has 3 to 7 prompts")]
        if not isinstance(answer, dict):
            return [("answer", "must map every prompt id to an option id")]
        answer = {str(k): str(v) for k, v in answer.items()}
        found = [("answer", f"prompt {p!r} has no match") for p in prompts if p not in answer]
        found += [("answer", f"{k!r} is not a prompt id") for k in answer if k not in prompts]
        return found + [("answer", f"{v!r} is not an option id") for v in answer.values() if v not in options]
    answer = [answer] if isinstance(answer, str) and qtype == "single" else answer
    if not isinstance(answer, list) or not answer:
        return [("answer", "must be a list of option ids")]
    answer = [str(a) for a in answer]
    found = [("answer", f"{a!r} is not an option id") for a in answer if a not in options]
    if len(set(answer)) != len(answer):
        found.append(("answer", "lists an option twice"))
    if qtype in MIN_OPTIONS and len(options) < MIN_OPTIONS[qtype]:
        found.append(("options", f"a {qtype} question needs at least {MIN_OPTIONS[qtype]} options"))
    if qtype == "single" and len(answer) != 1:
        found.append(("answer", "a single-answer question has exactly one answer"))
    if qtype == "multiple":
        words = {2: "TWO", 3: "THREE", 4: "FOUR"}
        if len(answer) < 2:
            found.append(("answer", "a multiple-response question has at least two answers"))
        elif words.get(len(answer), "?") not in stem:
            found.append(("stem", f"must tell the learner to choose {words.get(len(answer), len(answer))}"))
    if qtype == "ordering":
        if not 3 <= len(options) <= 5:
            found.append(("options", "an ordering question has 3 to 5 items"))
        if sorted(answer) != sorted(options):
            found.append(("answer", "must list every item exactly once in the correct order"))
    return found


def _reference_problems(references) -> list[tuple[str, str]]:
    if not isinstance(references, list) or not references:
        return [("references", "must list at least one AWS documentation page")]
    found = []
    for n, ref in enumerate(references, start=1):
        if not isinstance(ref, dict) or not str(ref.get("title", "")).strip():
            found.append((f"references[{n}]", "needs a `title` and a `url`"))
        elif not str(ref.get("url", "")).startswith(DOC_HOSTS):
            found.append((f"references[{n}].url", f"must be an AWS page starting with {' or '.join(DOC_HOSTS)}"))
    return found
