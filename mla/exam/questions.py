"""The question bank: YAML files under curriculum/questions/, validated, loaded into Question objects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..notebooks import repo_root
from .validate import Problem, problems_in_bank

SINGLE, MULTIPLE, ORDERING, MATCHING = "single", "multiple", "ordering", "matching"
TYPES = (SINGLE, MULTIPLE, ORDERING, MATCHING)
CASE_STUDY = "case_study"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's loader is ~10x faster when present  # a blueprint token: questions that belong to a case-study scenario


class BankError(ValueError):
    """The bank has problems; ``problems`` names file, question and field for each."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    explanation: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    scenario: str


@dataclass(frozen=True)
class Question:
    id: str
    exams: tuple[str, ...]
    domain: int
    task: str
    skills: tuple[str, ...]
    c01_task: str | None
    type: str
    stem: str
    options: tuple[Choice, ...]
    prompts: tuple[Choice, ...]  # matching only: the items to match to options
    answer: object  # str (single), tuple (multiple, ordering), dict prompt->option (matching)
    references: tuple[dict, ...]
    difficulty: str
    last_checked: str
    case: Case | None
    source: str

    def option(self, option_id: str) -> Choice:
        return next(o for o in self.options if o.id == option_id)


def default_bank_dir() -> Path:
    return repo_root() / "curriculum" / "questions"


def bank_files(folder: Path | None = None) -> list[Path]:
    folder = Path(folder or default_bank_dir())
    if not folder.is_dir():
        raise FileNotFoundError(f"question folder {folder} does not exist")
    return sorted(folder.glob("*.yaml"))


def read_files(files: list[Path]) -> tuple[dict[Path, object], list[Problem]]:
    docs, problems = {}, []
    for path in files:
        try:
            docs[path] = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        except yaml.YAMLError as error:
            problems.append(Problem(str(path), "-", "-", f"is not valid YAML: {error}"))
    return docs, problems


def load_bank(folder: Path | None = None) -> dict[str, Question]:
    """Every question of the bank by id; raises BankError listing every problem if any file is malformed."""
    docs, problems = read_files(bank_files(folder))
    problems += problems_in_bank(docs)
    if problems:
        raise BankError(problems)
    bank: dict[str, Question] = {}
    for path, doc in docs.items():
        cases = {c["id"]: Case(c["id"], c["title"], c["scenario"]) for c in doc.get("cases") or []}
        for entry in doc.get("questions") or []:
            bank[entry["id"]] = _question(entry, cases, path)
    return bank


def _question(entry: dict, cases: dict[str, Case], path: Path) -> Question:
    qtype = entry["type"]
    answer = entry["answer"]
    if qtype == SINGLE:
        answer = answer[0] if isinstance(answer, list) else answer
    elif qtype == MULTIPLE:
        answer = tuple(sorted(answer))
    elif qtype == ORDERING:
        answer = tuple(answer)
    else:
        answer = {str(k): str(v) for k, v in answer.items()}
    return Question(
        id=entry["id"], exams=tuple(entry["exams"]), domain=int(entry["domain"]), task=str(entry["task"]),
        skills=tuple(str(s) for s in entry["skills"]), c01_task=entry.get("c01_task"), type=qtype,
        stem=entry["stem"].strip(),
        options=tuple(Choice(str(o["id"]), o["text"].strip(), o["explanation"].strip()) for o in entry["options"]),
        prompts=tuple(Choice(str(p["id"]), p["text"].strip()) for p in entry.get("prompts") or []),
        answer=answer, references=tuple(entry["references"]), difficulty=entry["difficulty"],
        last_checked=str(entry["last_checked"]), case=cases.get(entry.get("case")), source=path.name,
    )
