"""Secrets out of everything the grader stores or returns, and a scan of collected submissions.
AWS key patterns come from ``mla.hygiene`` (the same ones the pre-commit hook uses)."""

from __future__ import annotations

import re
from pathlib import Path

from mla.hygiene import ALLOWED, KEY_ID, SECRET, secrets_in

TOKENS = [
    KEY_ID,
    SECRET,
    re.compile(r"(?i)aws_session_token\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub tokens
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b"),  # Slack tokens
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
]
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    for pattern in TOKENS:
        text = pattern.sub(lambda m: m.group(0) if m.group(0) in ALLOWED else REDACTED, text)
    return text


def scan(path: Path) -> list[str]:
    """Secret-looking strings in a collected file (reported to the instructor, never printed whole)."""
    text = path.read_text(errors="ignore")
    extra = [m.group(0)[:8] + "…" for pattern in TOKENS[2:] for m in pattern.finditer(text)]
    return secrets_in(path) + extra
