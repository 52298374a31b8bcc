"""``mla emulator [--host 127.0.0.1] [--port N]``: the local backend as a standalone loopback server."""

from __future__ import annotations

import signal
import threading


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")


def main(args) -> int:
    from ..emulator import Emulator

    try:
        emulator = Emulator(args.host, args.port).start()
    except (ValueError, OSError) as error:
        print(f"mla emulator: {error}")
        return 2
    print(f"local AWS backend at {emulator.url}", flush=True)
    print(f"point clients at it with: export MLA_EMULATOR_URL={emulator.url} AWS_ENDPOINT_URL={emulator.url}",
          flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    return 0
