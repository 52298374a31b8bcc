"""The instructor cycle on an nbgrader course root: release → collect → autograde (hardened) → feedback →
export → status. Scores go into nbgrader's gradebook, so JupyterLab's formgrader shows them and takes the
manual grades; the executed notebooks go to ``autograded/`` as formgrader expects."""

from __future__ import annotations

import csv
import difflib
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import CourseError, api_for
from .hardened import Job, Result, grade_all
from .redact import redact, scan
from .sandbox import Limits

RESULT_FILE = "mla-grading.json"
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _assignment_notebooks(root: Path, assignment: str) -> list[Path]:
    notebooks = sorted((root / "source" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise CourseError(f"no assignment {assignment!r} in {root / 'source'} (run `mla course build` first)")
    return notebooks


def release(root: Path, assignment: str) -> Path:
    _assignment_notebooks(root, assignment)
    result = api_for(root).release_assignment(assignment)
    if not result["success"]:
        raise CourseError(f"nbgrader could not release {assignment}:\n{result.get('error') or result.get('log')}")
    return root / "exchange"


@dataclass
class Collected:
    student: str
    file: str
    notebook: str | None
    flags: list[str] = field(default_factory=list)


def _grade_ids(path: Path) -> set[str]:
    try:
        cells = json.loads(path.read_text(errors="ignore")).get("cells", [])
        return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells} - {None}
    except (ValueError, AttributeError):
        return set()


def _match_notebook(path: Path, name: str, notebooks: list[Path]) -> tuple[Path | None, list[str]]:
    exact = [n for n in notebooks if name == n.name or re.fullmatch(re.escape(n.stem) + r"(-\d+)?\.ipynb", name)]
    if exact:
        return exact[0], []
    ids = _grade_ids(path)
    best = max(notebooks, key=lambda n: (len(ids & _grade_ids(n)),
                                         difflib.SequenceMatcher(None, name, n.name).ratio()))
    if ids & _grade_ids(best) or len(notebooks) == 1:
        return best, [f"renamed {name} -> {best.name}"]
    return None, [f"{name} matches no notebook of the assignment"]


def _entries(source: Path, workdir: Path) -> list[tuple[str, str, Path]]:
    """(LMS name, notebook name, file) triples from a zip or folder: flat ``<name>_[LATE_][<digits>_]<notebook>``
    files as Canvas exports them, or ``<name>/<notebook>`` folders as Moodle and hand collection do."""
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                parts = Path(member.filename).parts
                if member.is_dir() or member.file_size > 50 << 20 or ".." in parts or member.filename.startswith("/"):
                    continue
                target = workdir.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
        source = workdir
    found = []
    for path in sorted(source.rglob("*.ipynb")):
        relative = path.relative_to(source)
        if len(relative.parts) > 1:
            found.append((re.sub(r"_\d+_assignsubmission_\w*$", "", relative.parts[0]), path.name, path))
        else:
            flat = re.match(r"([^_]+)_(?:LATE_)?(?:\d{3,}_)*(.+)", path.name)
            found.append((flat.group(1), flat.group(2)) + (path,) if flat else (path.stem, path.name, path))
    return found


def collect(root: Path, assignment: str, source: Path, roster: Path | None = None) -> list[Collected]:
    """Copy submissions into ``submitted/<student>/<assignment>/``; ``roster`` is a CSV ``name,student_id``
    mapping LMS names to student ids. Each file is scanned for secrets."""
    notebooks = _assignment_notebooks(root, assignment)
    names = {}
    if roster:
        with open(roster, newline="") as handle:
            names = {row["name"].strip(): row["student_id"].strip() for row in csv.DictReader(handle)}
    report = []
    with tempfile.TemporaryDirectory() as tmp, api_for(root).gradebook as gradebook:
        for lms_name, name, path in _entries(Path(source), Path(tmp)):
            student = re.sub(r"[^A-Za-z0-9_.-]", "", names.get(lms_name, lms_name)) or "unknown"
            notebook, flags = _match_notebook(path, name, notebooks)
            flags += [f"possible secret: {hit}" for hit in scan(path)]
            if roster and lms_name not in names:
                flags.append(f"{lms_name} is not in the roster")
            report.append(Collected(student, path.name, notebook.name if notebook else None, flags))
            if notebook is None:
                continue
            target = root / "submitted" / student / assignment / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            (target.parent / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
            gradebook.update_or_create_student(student)
    return report


def autograde(root: Path, assignment: str, workers: int = 2, limits: Limits | None = None,
              students: list[str] | None = None, progress=None) -> list[Result]:
    notebooks = {n.name for n in _assignment_notebooks(root, assignment)}
    jobs = []
    for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        if students and student not in students:
            continue
        for name in sorted(notebooks):
            submission = folder / name
            if not submission.exists():
                continue
            jobs.append(Job(student, assignment, submission, root / "source" / assignment / name,
                            root / "release" / assignment / name, root, len(jobs),
                            graded=root / "autograded" / student / assignment / name, limits=limits or Limits()))
    results = grade_all(jobs, workers, progress)
    _record(root, assignment, results)
    return results


def _record(root: Path, assignment: str, results: list[Result]) -> None:
    by_student: dict[str, list[Result]] = {}
    for result in results:
        by_student.setdefault(result.student, []).append(result)
    with api_for(root).gradebook as gradebook:
        for student, graded in by_student.items():
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(assignment, student)
            for result in graded:
                stem = Path(result.notebook).stem
                for test in result.tests:
                    grade = gradebook.find_grade(test.grade_id, stem, assignment, student)
                    grade.auto_score = test.score
                gradebook.db.commit()
            folder = root / "autograded" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            (folder / RESULT_FILE).write_text(json.dumps([r.to_dict() for r in graded], indent=1, default=str))


def results(root: Path, assignment: str) -> list[Result]:
    found = []
    for path in sorted((root / "autograded").glob(f"*/{assignment}/{RESULT_FILE}")):
        found += [Result.from_dict(d) for d in json.loads(path.read_text())]
    return found


def feedback(root: Path, assignment: str) -> list[Path]:
    """nbgrader's HTML feedback from the hardened notebooks, checked for hidden tests and redacted."""
    api = api_for(root)
    made = []
    for result in results(root, assignment):
        outcome = api.generate_feedback(assignment, result.student, force=True)
        if not outcome["success"]:
            raise CourseError(f"feedback for {result.student} failed:\n{outcome.get('error') or outcome.get('log')}")
        for html in (root / "feedback" / result.student / assignment).glob("*.html"):
            text = html.read_text()
            if any(marker in text for marker in HIDDEN_MARKERS):
                html.unlink()
                raise CourseError(f"{html} would have shown hidden tests; removed")
            html.write_text(redact(text))
            made.append(html)
    return sorted(set(made))


def export(root: Path, target: Path, fmt: str = "csv") -> Path:
    """``csv``: one row per student and assignment. ``canvas``: Canvas's gradebook import layout (one row
    per student, a column per assignment, a "Points Possible" row)."""
    rows = []
    with api_for(root).gradebook as gradebook:
        for assignment in gradebook.assignments:
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                    score = submission.score
                except Exception:  # nbgrader raises MissingEntry: no submission means zero
                    score = 0.0
                rows.append((student.id, assignment.name, float(score), float(assignment.max_score)))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as handle:
        writer = csv.writer(handle)
        if fmt == "csv":
            writer.writerow(["student_id", "assignment", "score", "max_score"])
            writer.writerows(rows)
        else:
            assignments = sorted({r[1] for r in rows})
            writer.writerow(["Student", "SIS User ID", *assignments])
            maxima = {r[1]: r[3] for r in rows}
            writer.writerow(["Points Possible", "", *[maxima[a] for a in assignments]])
            for student in sorted({r[0] for r in rows}):
                scores = {r[1]: r[2] for r in rows if r[0] == student}
                writer.writerow([student, student, *[scores.get(a, 0.0) for a in assignments]])
    return target


def status(root: Path, assignment: str) -> list[dict]:
    """Who is graded, who needs manual grading, who failed and why; submitted but ungraded students too."""
    graded = results(root, assignment)
    seen = {r.student for r in graded}
    rows = [{"student": r.student, "notebook": r.notebook, "score": r.score, "max_score": r.max_score,
             "state": "rejected" if r.rejected else ("needs manual grading" if r.manual else "graded"),
             "why": r.rejected or "; ".join(r.flags + [f"{t.grade_id}: {t.status}" for t in r.tests
                                                       if t.status != "passed"])}
            for r in graded]
    rows += [{"student": folder.parent.name, "notebook": "", "score": 0.0, "max_score": 0.0,
              "state": "not graded", "why": "collected, not autograded yet"}
             for folder in sorted((root / "submitted").glob(f"*/{assignment}")) if folder.parent.name not in seen]
    return rows
