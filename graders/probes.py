"""How a graded test cell is split so that its verdict never depends on the student's kernel.

A test cell's top-level ``assert`` statements (and assignments marked ``# mla: check``) are *checks*: they run in a
separate checker process on plain data. Every other statement is the *probe*: it runs in the sandboxed kernel and
calls the student's code. In the kernel each check is replaced by a capture of the values it reads, exported as
plain data (numbers, strings, arrays, tables); the checker rebuilds those values and evaluates the check.
Names of trusted modules (``pd``, ``np``, ...) and builtins are never captured: the checker brings its own.

A call in an ``assert`` of anything but a builtin or a trusted module (``pick_service(need)``,
``s3.head_object(...)``) is made in the kernel at the check's place and only its result is captured: it is the
student's code or a client, which the checker never runs. Calls in a marked assignment run in the checker, on
captured data (``expected = readings.sort_values("day")  # mla: check``)."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

CHECK_MARKER = "# mla: check"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CAPTURE_FUNCTION = "__mla_capture__"
CALL_KEY = "call:"  # captured values of kernel calls are keyed "call:<the call's source>"
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
    calls: list[str] = field(default_factory=list)  # kernel calls whose results the check reads, as source


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


def _spine(node: ast.AST) -> list[ast.AST]:
    """The postfix chain ``a.b[0].c(1).d`` from the outside in, ending at its root ``a``."""
    chain = [node]
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
        chain.append(node)
    return chain


def _kernel_calls(node: ast.AST, local: set[str], bound: set[str], key: str) -> list[ast.AST]:
    """The outermost call chains of ``node`` rooted in a kernel name (not a builtin, a trusted module or a name
    the checks bound): ``s3.head_object(...)["ContentLength"]`` is made in the kernel as a whole. A method of a
    comprehension's item (``t.split()`` for ``t`` in captured data) runs in the checker."""
    def names(tree):
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}

    spine = _spine(node)
    root, calls = spine[-1], [n for n in spine if isinstance(n, ast.Call)]
    if calls and isinstance(root, ast.Name) and root.id not in local and not names(calls[-1].func) & bound:
        if names(node) & bound:
            raise ConventionError(f"test cell {key}, line {node.lineno}: an assert calls `{ast.unparse(calls[-1].func)}` "
                                  "on a comprehension variable; compute the values in a probe statement first")
        return [node]
    return [call for child in ast.iter_child_nodes(node) for call in _kernel_calls(child, local, bound, key)]


def _reads(statement: ast.stmt, check_names: set[str], key: str) -> tuple[list[str], list[str], list[str]]:
    body = statement.value if isinstance(statement, ast.Assign) else statement
    bound = _bound_inside(body)
    calls = _kernel_calls(body, NOT_CAPTURED | check_names, bound, key) if isinstance(statement, ast.Assert) else []
    inside_calls = {id(n) for call in calls for n in ast.walk(call)}
    loads = [n for n in ast.walk(body) if id(n) not in inside_calls]
    names = sorted({n.id for n in loads if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                   - NOT_CAPTURED - check_names - bound)
    chains = sorted({d for n in loads if isinstance(n, ast.Attribute) and (d := dotted(n)) and d.split(".")[0] in names})
    return names, chains, list(dict.fromkeys(ast.unparse(call) for call in calls))


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
        names, chains, calls = _reads(statement, check_names, key)
        index = len(checks)
        checks.append(Check(index, ast.get_source_segment(source, statement), statement.lineno in hidden, names, chains,
                            calls))
        getters = ", ".join([f"{k!r}: lambda: {k}" for k in [*names, *chains]]
                            + [f"{CALL_KEY + call!r}: lambda: {call}" for call in calls])
        probe.append(f"{CAPTURE_FUNCTION}({key!r}, {index}, {{{getters}}})")
        if isinstance(statement, ast.Assign):
            check_names |= {n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if not checks:
        raise ConventionError(f"test cell {key} has no assert: nothing could be checked out of process")
    return TestCell(key, "\n".join(probe), checks)
