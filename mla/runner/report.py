"""The run's table for people and its JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_table(outcomes, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="mla run")
    for column in ("notebook", "status", "seconds", "failing cell", "reason"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        style = "green" if o.passed else "red"
        table.add_row(o.notebook, f"[{style}]{o.status}[/]", f"{o.seconds:.1f}",
                      "" if o.cell is None else str(o.cell), o.reason)
    console.print(table)
    failed = sum(not o.passed for o in outcomes)
    console.print(f"{len(outcomes) - failed} passed, {failed} failed")


def write_junit(outcomes, path: Path) -> None:
    suite = ET.Element("testsuite", name="mla-run", tests=str(len(outcomes)),
                       failures=str(sum(not o.passed for o in outcomes)),
                       time=f"{sum(o.seconds for o in outcomes):.2f}")
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname="notebooks", name=o.notebook, time=f"{o.seconds:.2f}")
        if not o.passed:
            where = "" if o.cell is None else f" (code cell {o.cell})"
            failure = ET.SubElement(case, "failure", type=o.status, message=f"{o.status}{where}: {o.reason}")
            failure.text = f"output notebook: {o.output}"
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
