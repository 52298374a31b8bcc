"""The local backend: moto plus the local layer, served on a loopback port."""

from __future__ import annotations

import ipaddress
import threading
from urllib.parse import urlparse

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from .router import LocalServices


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per AWS call would drown the notebook output
        pass


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Emulator:
    """Start with ``Emulator().start()``; ``url`` is where AWS clients point."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        if not is_loopback(host):
            raise ValueError(f"The local backend only listens on loopback, not on {host!r}.")
        self.host, self.port = host, port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        app = LocalServices(DomainDispatcherApplication(create_backend_app), lambda: self.url)
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="mla-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def check_emulator_url(url: str) -> str:
    host = urlparse(url).hostname
    if not is_loopback(host):
        raise ValueError(
            f"MLA_EMULATOR_URL={url!r} is not a loopback address; the local backend must run on this machine "
            "(e.g. http://127.0.0.1:5000 from `mla emulator`)."
        )
    return url.rstrip("/")
