"""A submission's kernel as an isolated process: new mount, network and pid namespaces where the machine allows
them (util-linux ``unshare``), the instructor's files hidden, loopback-only networking, a uid of its own,
resource limits and a scrubbed environment. ``protections()`` says which of these are active here."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import KernelManager

from mla.notebooks import repo_root

from .config import CELL_TIMEOUT, NOTEBOOK_TIMEOUT

FIRST_UID = 61000  # each submission's kernel gets FIRST_UID + n, so process limits and file modes separate them
WORKDIR = "/tmp/mla-submission"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 << 30  # address space: an embedded emulator with a tuning job reserves ~3 GB (thread stacks, arenas)
    processes: int = 256
    file_size_bytes: int = 64 << 20
    scratch_bytes: int = 256 << 20
    open_files: int = 1024
    cell_timeout: int = CELL_TIMEOUT
    notebook_timeout: int = NOTEBOOK_TIMEOUT
    output_chars: int = 20_000


@dataclass(frozen=True)
class Protections:
    namespaces: str | None  # "root" (real root: own uid per kernel) or "user" (an unprivileged user namespace)
    active: dict[str, bool] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{'on ' if on else 'OFF'}  {name}" for name, on in self.active.items()]


UNSHARE = ["--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]


@functools.cache
def protections() -> Protections:
    unshare = shutil.which("unshare")
    namespaces = None
    if unshare:
        for mode, extra in (("root", []), ("user", ["--user", "--map-root-user"])):
            if mode == "root" and os.geteuid() != 0:
                continue
            probe = subprocess.run([unshare, *extra, *UNSHARE, "true"], capture_output=True)
            if probe.returncode == 0:
                namespaces = mode
                break
    own_uid = os.geteuid() == 0
    return Protections(namespaces, {
        "network: new namespace, loopback only": namespaces is not None,
        "files: source/, gradebook, solutions, other submissions hidden": namespaces is not None,
        "processes: own pid namespace, killed as a whole": namespaces is not None,
        "own uid per submission": own_uid,
        "limits: memory, file size, cpu, open files (setrlimit)": True,
        "limits: process count (setrlimit, enforced for non-root uids)": own_uid or os.geteuid() != 0,
        "environment scrubbed (no AWS or grader variables)": True,
        "wall clock: per cell and per notebook": True,
    })


def hidden_paths(course_root: Path, scratch_root: Path) -> list[str]:
    """What the kernel must not see. Hiding the checkout also hides .git (it holds every solution)."""
    paths = ["/tmp", str(Path.home()), str(course_root), str(scratch_root), str(repo_root())]
    return list(dict.fromkeys(os.path.realpath(p) for p in paths))


def kept_paths(conn_dir: Path, stage_dir: Path) -> list[str]:
    """What the kernel needs back from under the hidden paths: the code it imports, its own files."""
    root = repo_root()
    code = [root / "mla", root / "graders", root / "curriculum", Path(sys.prefix), Path(sys.base_prefix)]
    return [os.path.realpath(p) for p in [*code, conn_dir, stage_dir] if p.exists()]


def kernel_env() -> dict[str, str]:
    bindir = os.path.dirname(sys.executable)
    return {"PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin", "HOME": WORKDIR, "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "MLA_BACKEND": "local",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


class SandboxedKernelManager(KernelManager):
    """Starts the python3 kernel through ``unshare`` and ``graders.jail``, talking over unix sockets
    (they cross network namespaces; loopback TCP does not)."""

    def configure(self, prefix: list[str]) -> None:
        self.jail_prefix = prefix

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        return [*self.jail_prefix, sys.executable, "-m", "ipykernel_launcher", "-f",
                os.path.realpath(self.connection_file)]


def kernel_manager(conn_dir: Path, stage_dir: Path, course_root: Path, scratch_root: Path,
                   slot: int, limits: Limits) -> SandboxedKernelManager:
    found = protections()
    uid = FIRST_UID + slot if os.geteuid() == 0 else None
    conn_dir.mkdir(parents=True, exist_ok=True)
    connection_file = conn_dir / "kernel.json"
    spec = {
        "hide": hidden_paths(course_root, scratch_root) if found.namespaces else [],
        "keep": kept_paths(conn_dir, stage_dir),
        "scratch_bytes": limits.scratch_bytes,
        "workdir": WORKDIR if found.namespaces else str(scratch_root / f"work-{slot}"),
        "stage": str(stage_dir),
        "network_namespace": found.namespaces is not None,
        "uid": uid,
        "chown": [str(conn_dir), str(connection_file)],
        "limits": {"memory": limits.memory_bytes, "file_size": limits.file_size_bytes, "core": 0,
                   "open_files": limits.open_files, "cpu_seconds": limits.notebook_timeout,
                   **({"processes": limits.processes} if found.active["limits: process count (setrlimit, enforced for non-root uids)"] else {})},
        "env": {**kernel_env(), **({} if found.namespaces else {"HOME": str(scratch_root / f"work-{slot}")})},
    }
    spec_path = scratch_root / f"jail-{slot}.json"
    spec_path.write_text(json.dumps(spec))
    prefix = []
    if found.namespaces:
        user = ["--user", "--map-root-user"] if found.namespaces == "user" else []
        prefix = [shutil.which("unshare"), *user, *UNSHARE, "--"]
    prefix += [sys.executable, "-I", "-m", "graders.jail", str(spec_path), "--"]
    manager = SandboxedKernelManager(kernel_name="python3", transport="ipc", ip=str(conn_dir / "ipc"),
                                     connection_file=str(connection_file))
    manager.configure(prefix)
    return manager
