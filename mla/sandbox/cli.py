"""``mla cleanup (--run-id ID | --session ID | --older-than DURATION)``: sandbox teardown by hand, or as a
scheduled reaper."""

from __future__ import annotations

import datetime as dt
import re

from .config import SandboxConfigError, load_config
from .fence import SandboxRefused, check_account
from .runs import sandbox_session
from .teardown import teardown

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> dt.timedelta:
    """``45m``, ``2h``, ``1d``, ``90s`` (or a sum such as ``1h30m``) as a timedelta."""
    parts = re.findall(r"(\d+)([smhd])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower():
        raise ValueError(f"{text!r} is not a duration like 45m, 2h, 1d or 1h30m")
    return sum((dt.timedelta(**{_UNITS[unit]: int(n)}) for n, unit in parts), dt.timedelta())


def add_arguments(parser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="remove everything tagged with this run id (printed by the lab at start)")
    which.add_argument("--session", help="remove everything an `mla lab` session created (printed at its start)")
    which.add_argument("--older-than", type=_duration_arg, metavar="DURATION",
                       help="remove every course resource created longer ago than this, e.g. 45m, 2h, 1d")
    parser.add_argument("--wait", type=float, default=600, metavar="S",
                        help="seconds to wait for slow deletions before reporting leftovers (600)")


def _duration_arg(text: str) -> dt.timedelta:
    import argparse

    try:
        return duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(args) -> int:
    try:
        config = load_config()
        session = sandbox_session(config, config.regions[0])
        identity = check_account(session, config, config.regions[0])
    except (SandboxConfigError, SandboxRefused) as error:
        print(f"mla cleanup: {error}")
        return 2
    report = teardown(session, identity["account"], config.regions, run_id=args.run_id, session_id=args.session,
                      older_than=args.older_than, wait_s=args.wait)
    for line in report.removed:
        print("removed:", line)
    for line in report.leftovers:
        print("LEFT BEHIND:", line)
    for line in report.unchecked:
        print("not checked by name (the account did not answer):", line)
    print(f"mla cleanup: {len(report.removed)} removed, {len(report.leftovers)} left behind "
          f"in {', '.join(config.regions)}")
    return 0 if report.clean else 1
