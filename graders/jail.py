"""Runs inside the new namespaces, as root of them, just before the submission's kernel starts:
hide the instructor's files, give the kernel a size-limited scratch /tmp, bring up loopback only,
set resource limits, drop to the submission's own uid, scrub the environment and exec the kernel.

    python -I -m graders.jail SPEC.json -- KERNEL ARGV...

This module is trusted code: it runs before any student code and never imports any."""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys

MS_BIND, MS_REC, MS_NOSUID, MS_NODEV = 4096, 16384, 2, 4
PR_SET_PDEATHSIG = 1
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP, IFF_RUNNING = 0x8913, 0x8914, 0x1, 0x40
LIMITS = {"memory": resource.RLIMIT_AS, "processes": resource.RLIMIT_NPROC, "file_size": resource.RLIMIT_FSIZE,
          "cpu_seconds": resource.RLIMIT_CPU, "open_files": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE}

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [s.encode() if s is not None else None for s in (source, target, fstype)]
    if _libc.mount(*args, flags, data.encode() if data else None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _hide(paths: list[str], keep: list[str], scratch_bytes: int) -> None:
    """Cover each hidden path with an empty tmpfs (/tmp with a writable, size-limited one), then bind the kept
    paths back at their old place."""
    held = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in keep if os.path.isdir(path)}
    for path in paths:
        if os.path.isdir(path):  # a path under an already hidden one has gone
            options = f"size={scratch_bytes},mode=1777" if path == "/tmp" else "size=64k,mode=0755"
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, fd in held.items():
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP | IFF_RUNNING))


def _scratch(spec: dict) -> str:
    workdir = spec["workdir"]
    os.makedirs(workdir, exist_ok=True)
    for name in os.listdir(spec["stage"]):
        shutil.copy2(os.path.join(spec["stage"], name), os.path.join(workdir, name))
    return workdir


def main(argv: list[str]) -> int:
    spec = json.loads(open(argv[0]).read())
    command = argv[argv.index("--") + 1:]
    if spec.get("hide"):
        _hide(spec["hide"], spec["keep"], spec["scratch_bytes"])
    workdir = _scratch(spec)
    if spec.get("network_namespace"):
        _loopback_up()
    uid = spec.get("uid")
    if uid is not None:
        for path in [workdir, *spec.get("chown", [])]:
            os.chown(path, uid, uid)
        for root, dirs, files in os.walk(workdir):
            for name in dirs + files:
                os.chown(os.path.join(root, name), uid, uid)
    for name, value in spec["limits"].items():
        resource.setrlimit(LIMITS[name], (value, value))
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        # a uid change clears the parent-death signal `unshare --kill-child` set; the kernel must die with it
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.chdir(workdir)
    os.execve(command[0], command, spec["env"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
