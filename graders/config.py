"""nbgrader configuration for a course root, as a traitlets Config and as the nbgrader_config.py file
that nbgrader's own command line and JupyterLab's formgrader read."""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

COURSE_ID = "mla-course"
CELL_TIMEOUT = 180  # course cells train and tune models
NOTEBOOK_TIMEOUT = 900
# stderr text that is not a failure: Python warnings (nbgrader otherwise scores a cell that writes to stderr 0)
BENIGN_STDERR = r"\w*Warning: "


def course_config(root: Path, exchange: Path | None = None) -> Config:
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = COURSE_ID
    # the default /usr/local/share/nbgrader/exchange is not writable for most learners and breaks the Lab list
    config.Exchange.root = str(exchange or root / "exchange")
    config.Exchange.path_includes_course = True
    config.ExecutePreprocessor.timeout = CELL_TIMEOUT
    config.Execute.timeout = CELL_TIMEOUT
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    config.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    config.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and run, not silently skipped
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = BENIGN_STDERR
    return config


def write_config_file(root: Path, config: Config) -> Path:
    lines = ["# Written by `mla course build`; edit the course, not this file.", "c = get_config()  # noqa"]
    for section, values in config.items():
        for key, value in values.items():
            lines.append(f"c.{section}.{key} = {value!r}")
    path = root / "nbgrader_config.py"
    path.write_text("\n".join(lines) + "\n")
    return path
