"""Background work of the local backend: daemon threads that repeat steps on a fixed period, one per name."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def repeat(name: str, seconds: float, *steps: Callable[[], None]) -> None:
    """Run each step every ``seconds`` in a daemon thread called ``name``; later calls with that name do nothing."""
    with _lock:
        if name in _threads:
            return
        _threads[name] = threading.Thread(target=_loop, args=(seconds, steps), name=name, daemon=True)
        _threads[name].start()


def _loop(seconds: float, steps) -> None:
    while True:
        time.sleep(seconds)
        for step in steps:
            try:
                step()
            except Exception:  # an emulator shut down under pending work; the next period tries again
                pass
