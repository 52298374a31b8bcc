"""What ``mla run --backend aws`` adds around the runner: a price check before anything runs, and for each
notebook a run id going in and, outside the kernel, teardown plus the leftover audit coming out."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import boto3
import nbformat
from rich.console import Console
from rich.table import Table

from ..lab.aws import DECLARED_ENV, NOTEBOOK_ENV, SESSION_ENV
from .audit import untagged_sagemaker
from .config import SandboxConfig, SandboxConfigError, SandboxNotConfigured, load_config
from .estimate import Estimate, EstimateError, declared_resources, estimate, price_table
from .fence import SandboxRefused, check_account
from .teardown import teardown

LEFTOVERS = "leftovers"


def prepare(pairs: list[tuple[Path, Path]], args, console: Console | None = None):
    """Price every notebook and check the account. Returns ``(SandboxRun, 0)`` to go ahead, or
    ``(None, exit code)`` after a dry run or a refusal."""
    console = console or Console()
    try:
        config = load_config()
    except SandboxConfigError as error:
        if not (args.dry_run and isinstance(error, SandboxNotConfigured)):
            console.print(f"mla run: {error}")
            return None, 2
        console.print("sandbox not configured: pricing with the default caps and region")
        config = SandboxConfig(account_id="", regions=("us-east-1",))  # prices only; never talks to AWS
    ceiling = args.cost_ceiling if args.cost_ceiling is not None else config.cost_ceiling_usd
    region = config.regions[0]
    estimates, problems = {}, {}
    for source, name in pairs:
        try:
            metadata = nbformat.read(source, as_version=4).metadata
            declared = declared_resources(metadata)
            estimates[str(name)] = (metadata["mla"]["resources"] if declared else [], estimate(
                str(name), declared, region=region, instance_types=config.instance_types,
                max_runtime_seconds=config.max_runtime_seconds, wall_limit_s=args.wall_limit))
        except (EstimateError, OSError, ValueError) as error:
            problems[str(name)] = str(error)
    over = {n for n, (_, e) in estimates.items() if e.usd > ceiling}
    _print_estimates(console, [str(n) for _, n in pairs], estimates, problems, over, ceiling)
    if args.dry_run:
        return None, 1 if over or problems else 0
    if over or problems:
        console.print(f"mla run: refused: {len(over)} notebook(s) over the {ceiling:.2f} USD ceiling and "
                      f"{len(problems)} that cannot be priced; nothing was run (raise it with --cost-ceiling)")
        return None, 1
    session = sandbox_session(config, region)
    try:
        identity = check_account(session, config, region)
    except SandboxRefused as error:
        console.print(f"mla run: {error}")
        return None, 2
    declared = {name: raw for name, (raw, _) in estimates.items()}
    return SandboxRun(config, session, identity["account"], declared, args.wall_limit), 0


def sandbox_session(config: SandboxConfig, region: str):
    """A boto3 session for the runner and `mla cleanup`: the configured profile (or the default chain)."""
    if config.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = config.endpoint_url
    return boto3.session.Session(profile_name=config.profile, region_name=region)


def _print_estimates(console, names, estimates, problems, over, ceiling) -> None:
    table = price_table()
    view = Table(title=f"worst-case cost per notebook (prices as of {table['as_of']}, {table['source']})")
    for column in ("notebook", "creates", "worst case USD", "verdict"):
        view.add_column(column, overflow="fold")
    for name in names:
        if name in problems:
            view.add_row(name, "", "", f"[red]cannot price: {problems[name]}[/]")
            continue
        cost: Estimate = estimates[name][1]
        creates = ", ".join(line.declared.kind + (f" ({line.instance_type})" if line.instance_type else "")
                            for line in cost.lines) or "nothing declared"
        verdict = f"[red]over the {ceiling:.2f} USD ceiling[/]" if name in over else "[green]ok[/]"
        view.add_row(name, creates, f"{cost.usd:.2f}", verdict)
    console.print(view)


class SandboxRun:
    def __init__(self, config: SandboxConfig, session, account_id: str, declared: dict, wall_limit: int):
        self.config, self.session, self.account_id = config, session, account_id
        self.declared, self.wall_limit = declared, wall_limit
        self.run_ids: dict[str, str] = {}
        self._started: dict[str, dt.datetime] = {}

    def env_for(self, name: str) -> dict[str, str]:
        run_id = self.run_ids.setdefault(name, uuid.uuid4().hex[:8])
        self._started.setdefault(name, dt.datetime.now(dt.UTC))
        return {"MLA_RUN_ID": run_id, NOTEBOOK_ENV: name, DECLARED_ENV: json.dumps(self.declared.get(name, [])),
                "MLA_WALL_LIMIT": str(self.wall_limit)}

    def finish(self, name: str, verdict: dict) -> dict:
        """Tear down the notebook's run id and audit its window; a notebook that leaves anything fails."""
        run_id = self.run_ids[name]
        try:
            report = teardown(self.session, self.account_id, self.config.regions, run_id=run_id)
            problems, removed = list(report.leftovers), report.removed
            for region in self.config.regions:
                problems += untagged_sagemaker(self.session, region, self._started[name]).untagged
        except Exception as error:  # the run goes on; the learner gets the exact command to finish the job
            problems, removed = [f"teardown failed ({error}); run `mla cleanup --run-id {run_id}`"], []
        verdict = {**verdict, "teardown": removed, "leftovers": problems}
        if problems:
            reason = f"teardown left {len(problems)}: " + "; ".join(problems)
            if verdict["status"] == "passed":
                verdict.update(status=LEFTOVERS, reason=reason[:300])
            else:
                verdict["reason"] = f"{verdict.get('reason', '')} | {reason}"[:300]
        return verdict

    @contextmanager
    def signals(self, stop_all):
        """SIGINT/SIGTERM end the running notebooks (and start no more); the runner then tears each down."""
        if not _in_main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, lambda *_: stop_all()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextmanager
def interactive_session(env: dict, console: Console | None = None):
    """``mla lab`` in sandbox mode: a session id for every kernel (set in ``env``), the account checked before
    JupyterLab starts, and everything the session tagged torn down when it exits, also on Ctrl-C or SIGTERM."""
    console = console or Console()
    try:
        config = load_config()
        session = sandbox_session(config, config.regions[0])
        identity = check_account(session, config, config.regions[0])
    except (SandboxConfigError, SandboxRefused) as error:
        raise SystemExit(f"mla lab: {error}") from None
    session_id = env[SESSION_ENV] = uuid.uuid4().hex[:6]
    console.print(f"sandbox session {session_id} in account {identity['account']}: what your notebooks create is "
                  "removed when JupyterLab exits")
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if _in_main_thread() else None
    started = dt.datetime.now(dt.UTC)
    try:
        yield session_id
    finally:
        report = teardown(session, identity["account"], config.regions, session_id=session_id)
        for region in config.regions:
            report.leftovers += untagged_sagemaker(session, region, started).untagged
        for line in report.removed:
            console.print("removed:", line)
        for line in report.leftovers:
            console.print(f"[red]LEFT BEHIND: {line}[/] (run `mla cleanup --session {session_id}`)")
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(*_):
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
