"""`mla lab` (the README's first command) builds the workspace, starts the shared local backend and JupyterLab."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.notebooks
def test_mla_lab_serves_the_workspace_with_the_local_backend(data_dirs):
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JUPYTER_TOKEN": "t", "JUPYTER_RUNTIME_DIR": str(data_dirs / "rt")}
    proc = subprocess.Popen([sys.executable, "-m", "mla.cli", "lab", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None and f"127.0.0.1:{port}" not in "".join(lines):
            lines.append(proc.stdout.readline())
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token=t", timeout=5).status
            except OSError as error:
                lines.append(f"GET failed: {error}\n")
                time.sleep(0.5)
        output = "".join(lines)
        assert status == 200, output
        assert "local AWS backend at http://127.0.0.1:" in output
        workspace = data_dirs / "workspace"
        assert (workspace / "phase1_foundations" / "week01_aws_ml_landscape" / "01_start_here.ipynb").exists()
        assert (workspace / "nbgrader_config.py").read_text().count(str(workspace / ".exchange")) == 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
