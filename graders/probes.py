"""How a graded test cell is split so that its verdict never depends on the student's kernel.

A test cell's top-level ``assert`` statements (and assignments marked ``# mla: check``) are *checks*: they run in a
separate checker process on plain data. Every other statement is the *probe*: it runs in the sandboxed kernel and
calls the student's code. In the kernel each check is replaced by a capture of the values it reads, exported as
plain data (numbers, strings, arrays, tables); the checker rebuilds those values and evaluates the check.
Names of trusted modules (``pd``, ``np``, ...) and builtins are never captured: the checker brings its own."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

CHECK_MARKER = "# mla: check"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CAPTURE_FUNCTION = "__mla_capture__"
# alias -> module the checker imports for itself
TRUSTED_MODULES = {"np": "numpy", "numpy": "numpy", "pd": "pandas", "pandas": "pandas", "io": "io", "math": "math",
                   "re": "re", "json": "json", "datetime": "datetime", "collections": "collections",
                   "statistics": "statistics", "itertools": "itertools"}
NOT_CAPTURED = set(TRUSTED_MODULES) | set(dir(builtins))


class ConventionError(ValueError):
    """A test cell the out-of-process grader cannot split; the message says what to change."""


@dataclass
class Check:
    index: int
    source: str
    hidden: bool
    names: list[str]
    chains: list[str] = field(default_factory=list)  # dotted attribute chains on those names, e.g. "lab.prefix"


@dataclass
class TestCell:
    key: str
    probe: str
    checks: list[Check]


def _hidden_lines(source: str) -> set[int]:
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            hidden.add(number)
    return hidden


def _is_check(statement: ast.stmt, lines: list[str]) -> bool:
    if isinstance(statement, ast.Assert):
        return True
    marked = any(CHECK_MARKER in lines[n - 1] for n in range(statement.lineno, statement.end_lineno + 1))
    if marked and not isinstance(statement, ast.Assign):
        raise ConventionError(f"line {statement.lineno}: only plain assignments can be marked '{CHECK_MARKER}'")
    return marked


def _bound_inside(node: ast.AST) -> set[str]:
    """Names bound by comprehensions and lambdas inside an expression (not free, not captured)."""
    bound = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.comprehension):
            bound |= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
        elif isinstance(sub, ast.Lambda):
            bound |= {a.arg for a in sub.args.args + sub.args.kwonlyargs}
    return bound


def dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _reads(statement: ast.stmt, check_names: set[str]) -> tuple[list[str], list[str]]:
    body = statement.value if isinstance(statement, ast.Assign) else statement
    skip = NOT_CAPTURED | check_names | _bound_inside(body)
    names = sorted({n.id for n in ast.walk(body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - skip)
    chains = sorted({d for n in ast.walk(body) if isinstance(n, ast.Attribute) and (d := dotted(n))
                     and d.split(".")[0] in names})
    return names, chains


def split(source: str, key: str) -> TestCell:
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ConventionError(f"test cell {key} does not parse: {error}") from error
    lines, hidden = source.splitlines(), _hidden_lines(source)
    probe, checks, check_names = [f"from graders.capture import capture as {CAPTURE_FUNCTION}"], [], set()
    for statement in tree.body:
        if not _is_check(statement, lines):
            nested = [n for n in ast.walk(statement) if isinstance(n, ast.Assert)]
            if nested:
                raise ConventionError(f"test cell {key}, line {nested[0].lineno}: put asserts at the top level of "
                                      "the cell (an assert inside a block would run in the student's kernel)")
            probe.append(ast.get_source_segment(source, statement))
            continue
        names, chains = _reads(statement, check_names)
        index = len(checks)
        checks.append(Check(index, ast.get_source_segment(source, statement), statement.lineno in hidden, names, chains))
        getters = ", ".join(f"{k!r}: lambda: {k}" for k in [*names, *chains])
        probe.append(f"{CAPTURE_FUNCTION}({key!r}, {index}, {{{getters}}})")
        if isinstance(statement, ast.Assign):
            check_names |= {n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if not checks:
        raise ConventionError(f"test cell {key} has no assert: nothing could be checked out of process")
    return TestCell(key, "\n".join(probe), checks)
