"""The ``mla`` command. Each subcommand lives in its own module with ``add_arguments`` and ``main``."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Modules are imported only when their command runs, so `mla` starts fast.
COMMANDS = {
    "lab": ("mla.commands.lab", "start JupyterLab on your workspace with the local backend running"),
    "run": ("mla.runner.cli", "execute notebooks headlessly and report each one"),
    "emulator": ("mla.commands.emulator", "serve the local AWS backend on loopback"),
    "workspace": ("mla.commands.workspace", "create or update your learner workspace"),
    "check": ("mla.commands.check", "grade one of your workspace notebooks"),
    "course": ("graders.cli", "instructor commands: build the nbgrader course and more"),
    "conventions": ("mla.commands.conventions", "check every course notebook against the conventions"),
    "exam": ("mla.exam.cli", "take a timed practice exam or a quiz in the terminal"),
    "review": ("mla.progress.review_cli", "review the practice questions that are due (spaced repetition)"),
    "progress": ("mla.progress.cli", "write your readiness report with plots; export or import your history"),
    "questions": ("mla.exam.questions_cli", "validate the question bank"),
    "coverage": ("mla.commands.coverage", "which notebooks, exercises and questions cover each exam skill"),
    "cleanup": ("mla.sandbox.cli", "sandbox mode: remove what a run left (--run-id) or everything old (--older-than)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser_for(argv)
    args = parser.parse_args(argv)
    return importlib.import_module(args._module).main(args) or 0


def build_parser_for(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mla", description="AWS ML Engineer Associate course")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module)
        if argv[:1] == [name]:
            importlib.import_module(module).add_arguments(sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())
