"""``mla progress``: write the readiness report (HTML with plots); ``--export``/``--import`` move your history."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=Path, help="report file (default: report.html in your data directory)")
    parser.add_argument("--export", type=Path, metavar="FILE", help="write your whole history as JSON")
    parser.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                        help="merge a JSON export into your history")


def main(args) -> int:
    from .store import CorruptStoreError, data_dir, open_store

    try:
        store = open_store()
    except CorruptStoreError as error:
        print(f"mla progress: {error}", file=sys.stderr)
        return 2
    try:
        if args.import_file:
            try:
                counts = store.import_(json.loads(args.import_file.read_text()))
            except (OSError, ValueError) as error:
                print(f"mla progress: cannot import {args.import_file}: {error}", file=sys.stderr)
                return 2
            print("imported " + ", ".join(f"{n} {table}" for table, n in counts.items()))
        if args.export:
            args.export.write_text(json.dumps(store.export(), indent=1))
            print(f"exported to {args.export}")
        if not (args.import_file or args.export) or args.out:
            from .dashboard import write_report

            path = write_report(store, args.out or data_dir() / "report.html")
            print(f"report written to {path}; open it in a browser")
    finally:
        store.close()
    return 0
