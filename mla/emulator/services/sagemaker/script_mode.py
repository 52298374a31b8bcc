"""Script mode: the learner's own script runs in a subprocess under the SageMaker training-container contract.

Environment as the SageMaker training toolkit sets it (``SM_MODEL_DIR``, ``SM_CHANNEL_<NAME>``,
``SM_CHANNELS``, ``SM_HPS``, ``SM_NUM_GPUS``, ``SM_NUM_CPUS``, ``SM_HOSTS``, ``SM_CURRENT_HOST``,
``SM_OUTPUT_DATA_DIR``, ...), hyperparameters as ``--name value`` arguments, the ``/opt/ml`` tree in a
per-job folder; stdout and stderr go to the job's log and the exit code decides the job's status.
See https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html and
https://github.com/aws/sagemaker-training-toolkit/blob/master/ENVIRONMENT_VARIABLES.md.

Two ways a job names its script:

* SDK v3 ``ModelTrainer(source_code=...)`` uploads a ``code`` channel and an ``sm_drivers`` channel whose
  ``sourcecode.json`` holds ``entry_script`` / ``command``; the container's entrypoint then runs that.
* Framework estimators (SDK v2 style) set the ``sagemaker_program`` and ``sagemaker_submit_directory``
  (an S3 ``sourcedir.tar.gz``) hyperparameters.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from . import s3io
from .container import HOST
from .jobs import Interrupted, JobFailure

STOP_GRACE_SECONDS = 5  # SageMaker waits 120 s after SIGTERM; locally a short grace is enough
FRAMEWORK_KEYS = ("sagemaker_program", "sagemaker_submit_directory", "sagemaker_region",
                  "sagemaker_container_log_level", "sagemaker_job_name")


def decode(value: str):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def cli_args(hyperparameters: dict) -> list[str]:
    args = []
    for key, value in hyperparameters.items():
        decoded = decode(value)
        args += [f"--{key}", value if isinstance(decoded, str) else json.dumps(decoded)]
    return args


def find_script(run) -> tuple[list[str], Path] | None:
    """The command line and working folder of the job's script, or None when the job names no script."""
    drivers = run.opt.channel_dir("sm_drivers") / "sourcecode.json"
    if drivers.exists():
        source = json.loads(drivers.read_text())
        code = run.opt.channel_dir("code")
        workdir = code if code.exists() else run.opt.channel_dir("sm_drivers")
        for archive in workdir.glob("*.tar.gz"):
            s3io.untar(archive, workdir)
        hyperparameters = run.hyperparameters
        if source.get("command"):
            return shlex.split(source["command"]) + [str(a) for a in source.get("args") or []], workdir
        return _entry_command(source["entry_script"], cli_args(hyperparameters)), workdir
    program = run.hyperparameters.get("sagemaker_program")
    if program is None:
        return None
    program = decode(program)
    submit = decode(run.hyperparameters.get("sagemaker_submit_directory", '""'))
    if submit:
        archive = run.opt.base / "sourcedir.tar.gz"
        s3io.split_uri(submit)
        run.s3.download_file(*s3io.split_uri(submit), str(archive))
        s3io.untar(archive, run.opt.code_dir)
    user = {k: v for k, v in run.hyperparameters.items() if k not in FRAMEWORK_KEYS}
    return _entry_command(program, cli_args(user)), run.opt.code_dir


def _entry_command(entry_script: str, args: list[str]) -> list[str]:
    if entry_script.endswith(".py"):
        return [sys.executable, entry_script, *args]
    if entry_script.endswith(".sh"):
        return ["/bin/sh", entry_script, *args]
    raise JobFailure(f"ClientError: Unsupported entry script: {entry_script}. Only .py and .sh scripts are "
                     "supported.")


def training_environment(run) -> dict[str, str]:
    opt = run.opt
    user_hps = {k: decode(v) for k, v in run.hyperparameters.items() if k not in FRAMEWORK_KEYS}
    channels = sorted(run.channels)
    env = {
        "SM_MODEL_DIR": str(opt.model_dir),
        "SM_OUTPUT_DIR": str(opt.output_dir),
        "SM_OUTPUT_DATA_DIR": str(opt.output_data_dir),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(opt.output_dir / "intermediate"),
        "SM_INPUT_DIR": str(opt.root / "input"),
        "SM_INPUT_CONFIG_DIR": str(opt.config_dir),
        "SM_INPUT_DATA_CONFIG": json.dumps(run.channels),
        "SM_CHANNELS": json.dumps(channels),
        "SM_HPS": json.dumps(user_hps),
        "SM_USER_ARGS": json.dumps(cli_args({k: v for k, v in run.hyperparameters.items()
                                             if k not in FRAMEWORK_KEYS})),
        "SM_HOSTS": json.dumps([HOST]),
        "SM_CURRENT_HOST": HOST,
        "SM_CURRENT_INSTANCE_TYPE": run.instance_type,
        "SM_NUM_GPUS": "0",
        "SM_NUM_NEURONS": "0",
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_MODULE_DIR": str(opt.code_dir),
        "SM_LOG_LEVEL": "20",
        "SM_IS_MASTER": "true",
        "SM_MASTER_ADDR": HOST,
        "SM_TRAINING_ENV": json.dumps({"job_name": run.job.name, "hyperparameters": user_hps,
                                       "channel_input_dirs": {c: str(opt.channel_dir(c)) for c in channels},
                                       "model_dir": str(opt.model_dir), "hosts": [HOST],
                                       "current_host": HOST, "num_gpus": 0}),
        "TRAINING_JOB_NAME": run.job.name,
        "TRAINING_JOB_ARN": run.job.description["TrainingJobArn"],
    }
    for channel in channels:
        env[f"SM_CHANNEL_{channel.upper().replace('-', '_')}"] = str(opt.channel_dir(channel))
    for key, value in user_hps.items():
        env[f"SM_HP_{key.upper().replace('-', '_')}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def aws_environment(ctx) -> dict[str, str]:
    """Learner code inside a job talks to the same local backend, never to AWS."""
    return {"AWS_ENDPOINT_URL": ctx.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": ctx.region, "AWS_REGION": ctx.region, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "PYTHONUNBUFFERED": "1"}


def run_command(command: list[str], cwd: Path, env: dict[str, str], job, log) -> int:
    """Run ``command``, streaming its output into ``log``; stop it when the job is stopped or out of time."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SM_"))}
    full_env.update(env)
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", start_new_session=True)
    except OSError as error:
        raise JobFailure(f"ClientError: could not start {shlex.join(command)}: {error}") from error
    reader = threading.Thread(target=lambda: [log.write(line) for line in proc.stdout], daemon=True)
    reader.start()
    while True:
        try:
            code = proc.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            reason = job.interruption()
            if reason:
                _terminate(proc)
                reader.join(timeout=2)
                raise Interrupted(reason) from None
    reader.join(timeout=5)
    return code


def _terminate(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def failure_reason(command: list[str], code: int, log, written: str) -> str:
    """What SageMaker's training toolkit reports for a script that exits non-zero."""
    message = written or log.last_error_line()
    return (f'AlgorithmError: ExecuteUserScriptError:\nExitCode {code}\nErrorMessage "{message}"\n'
            f'Command "{shlex.join(command)}", exit code: {code}')
