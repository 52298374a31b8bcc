"""``mla lab``: update the workspace, start one shared local backend, then JupyterLab in the workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--path", type=Path, help="workspace folder (default $MLA_WORKSPACE or ~/mla-workspace)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--port", type=int, help="JupyterLab port")


def main(args) -> int:
    from graders.config import course_config, write_config_file

    from ..emulator import Emulator
    from .workspace import prepare

    workspace = prepare(args.path)
    exchange = workspace / ".exchange"
    exchange.mkdir(exist_ok=True)
    write_config_file(workspace, course_config(workspace, exchange))
    emulator = Emulator().start()
    print(f"local AWS backend at {emulator.url} (shared by every notebook in this session)")
    env = {**os.environ, "MLA_EMULATOR_URL": emulator.url, "MLA_BACKEND": os.environ.get("MLA_BACKEND", "local")}
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={workspace}"]
    if args.no_browser:
        command.append("--no-browser")
    if args.port:
        command.append(f"--port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses without it
        command.append("--allow-root")
    try:
        with _sandbox_session(env):  # aws mode: everything the session created is torn down on exit
            return subprocess.call(command, env=env, cwd=workspace)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()


def _sandbox_session(env: dict):
    if env["MLA_BACKEND"] != "aws":
        return nullcontext()
    from ..sandbox.runs import interactive_session

    return interactive_session(env)
