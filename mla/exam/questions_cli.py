"""``mla questions validate``: check the question bank; exits non-zero and lists every problem."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["validate"], help="what to do with the bank")
    parser.add_argument("--bank", type=Path, help="question folder (default curriculum/questions)")


def main(args) -> int:
    from .questions import BankError, load_bank

    try:
        bank = load_bank(args.bank)
    except FileNotFoundError as error:
        print(f"mla questions: {error}", file=sys.stderr)
        return 2
    except BankError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in the question bank", file=sys.stderr)
        return 1
    by_domain = Counter(q.domain for q in bank.values())
    by_type = Counter(q.type for q in bank.values())
    print(f"{len(bank)} questions OK · by domain "
          + ", ".join(f"{d}: {n}" for d, n in sorted(by_domain.items()))
          + " · by type " + ", ".join(f"{t}: {n}" for t, n in sorted(by_type.items())))
    return 0
