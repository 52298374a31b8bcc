"""The report a Clarify job writes beside ``analysis.json``: ``report.html`` and ``report.ipynb`` with the bias metric
tables and the global SHAP values (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html
describes the report; this one shows the same numbers as tables rather than Clarify's charts)."""

from __future__ import annotations

import html
import json
from pathlib import Path

SECTIONS = (("pre_training_bias_metrics", "Pre-training bias metrics"),
            ("post_training_bias_metrics", "Post-training bias metrics"))


def _rows(analysis: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, column names, rows) for each table of the report."""
    tables = []
    for key, title in SECTIONS:
        section = analysis.get(key)
        if not section:
            continue
        for facet, analyses in section["facets"].items():
            for entry in analyses:
                heading = (f"{title}: label {section['label']} = {section['label_value_or_threshold']}, "
                           f"facet {facet} = {entry['value_or_threshold']}")
                rows = [[m["name"], m["description"], str(m.get("value", "")), m.get("error", "")]
                        for m in entry["metrics"]]
                tables.append((heading, ["Metric", "Description", "Value", "Error"], rows))
    for label, result in (analysis.get("explanations", {}).get("kernel_shap") or {}).items():
        ranked = sorted(result["global_shap_values"].items(), key=lambda item: -abs(item[1]))
        tables.append((f"Global SHAP values ({label}), expected value {result['expected_value']:.6g}",
                       ["Feature", "SHAP value"], [[name, f"{value:.6g}"] for name, value in ranked]))
    return tables


def _html(title: str, tables) -> str:
    parts = [f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    for heading, columns, rows in tables:
        parts.append(f"<h2>{html.escape(heading)}</h2><table border='1'><tr>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows]
        parts.append("</table>")
    return "\n".join(parts + ["</body></html>"])


def _markdown(heading: str, columns: list[str], rows: list[list[str]]) -> str:
    lines = [f"## {heading}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(lines + ["| " + " | ".join(v.replace("|", "/") for v in row) + " |" for row in rows])


def write_report(analysis: dict, output: Path, title: str = "Analysis Report") -> None:
    tables = _rows(analysis)
    (output / "report.html").write_text(_html(title, tables))
    sources = [("markdown", f"# {title}")] + [("markdown", _markdown(*table)) for table in tables]
    sources.append(("code", "import json\nanalysis = json.load(open('analysis.json'))\nanalysis.keys()"))
    notebook = {"cells": [_cell(number, *source) for number, source in enumerate(sources)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (output / "report.ipynb").write_text(json.dumps(notebook, indent=1))


def _cell(number: int, kind: str, source: str) -> dict:
    """A notebook cell in nbformat 4 (importing nbformat would cost the job seconds of start-up)."""
    cell = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": source}
    return {**cell, "execution_count": None, "outputs": []} if kind == "code" else cell
