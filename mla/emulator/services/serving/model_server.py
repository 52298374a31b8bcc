"""One endpoint variant's model server: the SageMaker inference-container contract (``GET /ping``,
``POST /invocations``) on its own loopback port, so endpoints never share a server.

Built-in algorithm models are served from a thread of the emulator; models that run the learner's
``inference.py`` are served from a child process (``python -m mla.emulator.services.serving.model_server``),
so two learners' modules named ``inference`` never meet and a crashing handler takes down only its server.
Container contract: https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..sagemaker.jobs import JobFailure
from . import models

HOST = "127.0.0.1"
TARGET_MODEL_HEADER = "X-Amzn-SageMaker-Target-Model"
START_TIMEOUT_SECONDS = 60


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the body ~40 ms

    def log_message(self, *args):  # the endpoint's invocations are logged by the runtime, not per request here
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ping":
            self._reply(200, b"")
        else:
            self._reply(404, b"not found")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/invocations":
            self._reply(404, b"not found")
            return
        model = self.server.model
        args = (body, self.headers.get("Content-Type", ""), self.headers.get("Accept", ""))
        try:
            if isinstance(model, models.MultiModel):
                result, content_type = model.invoke(*args, target=self.headers.get(TARGET_MODEL_HEADER))
            else:
                result, content_type = model.invoke(*args)
        except models.RequestError as error:
            self._reply(error.status, str(error).encode())
        except Exception as error:  # the learner's handler failed: the container answers 500, as model servers do
            self.server.errors.append(traceback.format_exc())
            self._reply(500, f"{type(error).__name__}: {error}".encode())
        else:
            self._reply(200, result, content_type)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model):
        super().__init__((HOST, 0), _Handler)
        self.model = model
        self.errors: list[str] = []


class _Serving:
    port: int

    def invoke(self, body: bytes, content_type: str, accept: str | None, timeout: float) -> tuple[bytes, str]:
        """``POST /invocations`` as the platform does (batch transform): the answer and its content type, or
        ``models.RequestError`` with the container's status."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("POST", "/invocations", body=body,
                               headers={"Content-Type": content_type, "Accept": accept or "*/*"})
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise models.RequestError(response.status, data.decode("utf-8", "replace"))
        return data, response.getheader("Content-Type", "")


class ThreadServer(_Serving):
    """A model served from a thread of this process."""

    def __init__(self, model):
        self.server = _Server(model)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"mla-model-server-{self.port}",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ProcessServer(_Serving):
    """A model served from a child process; its port is the first line the child prints."""

    def __init__(self, artifact: models.Artifact, env: dict[str, str]):
        command = [sys.executable, "-m", __name__, "--image", artifact.image, "--model-dir", str(artifact.model_dir),
                   "--code-dir", str(artifact.code_dir or ""), "--program", artifact.program or "",
                   "--multi-model-uri", artifact.multi_model_uri or ""]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | env
        self.process = subprocess.Popen(command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, start_new_session=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.wait(timeout=START_TIMEOUT_SECONDS)
            error = self.process.stderr.read().strip().splitlines()
            raise JobFailure(error[-1] if error else "The model server exited before answering /ping.")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(artifact: models.Artifact, s3, env: dict[str, str]):
    """Serve ``artifact`` on its own port: built-in models in a thread, learner code in a child process."""
    if artifact.built_in is not None:
        return ThreadServer(models.load(artifact, s3))
    return ProcessServer(artifact, env)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("--image", "--model-dir", "--code-dir", "--program", "--multi-model-uri"):
        parser.add_argument(option, default="")
    args = parser.parse_args(argv)
    artifact = models.Artifact(args.image, Path(args.model_dir), Path(args.code_dir) if args.code_dir else None,
                               args.program or None, args.multi_model_uri or None)
    s3 = None
    if artifact.multi_model_uri:
        import boto3

        s3 = boto3.client("s3")
    try:
        server = _Server(models.load(artifact, s3))
    except JobFailure as failure:
        print(failure.reason, file=sys.stderr)
        return 1
    except Exception as error:
        traceback.print_exc()
        print(f"model_fn failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
