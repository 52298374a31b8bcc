"""WSGI app in front of moto: requests for operations the local layer handles go to their handlers,
everything else goes on to moto unchanged."""

from __future__ import annotations

import re
import threading
from xml.sax.saxutils import escape

from . import protocol
from .registry import HANDLERS, Context, operations_by_service
from .services import load_for

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class LocalServices:
    def __init__(self, fallback, url_holder):
        self.fallback = fallback
        self.url_holder = url_holder
        self.routes: dict[str, list[protocol.Route]] = {}
        self._lock = threading.Lock()

    def routes_for(self, signing_name: str) -> list[protocol.Route]:
        """Routes of every handled operation signed as ``signing_name``, its service modules imported on first use."""
        with self._lock:
            if signing_name not in self.routes:
                load_for(signing_name)
                routes = []
                for service, operations in operations_by_service().items():
                    if protocol.service_model(service).signing_name == signing_name:
                        routes += protocol.routes_for(service, operations)
                routes.sort(key=lambda r: r.pattern.pattern.count("(?P") if r.pattern else 0)  # literal paths first
                self.routes[signing_name] = routes
            return self.routes[signing_name]

    def find(self, environ):
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not scope:
            return None, None, None
        region, signing_name = scope.groups()
        # match the still-encoded path: an ARN in a URI parameter carries %2F, not a path separator
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        method, path = environ["REQUEST_METHOD"], raw.split("?", 1)[0]
        target = environ.get("HTTP_X_AMZ_TARGET")
        for route in self.routes_for(signing_name):
            params = protocol.match(route, method, path, target)
            if params is not None:
                return route, params, region
        return None, None, None

    def __call__(self, environ, start_response):
        route, uri_params, region = self.find(environ)
        if route is None:
            return self._moto(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            params = protocol.parse_request(route, uri_params, _HeaderView(headers), environ.get("QUERY_STRING", ""), body)
            result = HANDLERS[(route.service, route.operation)](params, Context(self.url_holder(), region))
            status, out_headers, raw = protocol.serialize_response(route, result or {})
        except protocol.ServiceError as error:
            status, out_headers, raw = protocol.serialize_error(route, error)
        out_headers["Content-Length"] = str(len(raw))
        start_response(f"{status} {_REASONS.get(status, 'Status')}", list(out_headers.items()))
        return [raw]


    def _moto(self, environ, start_response):
        """moto, with an operation it lacks answered as a clean AWS error instead of a server traceback."""
        try:
            return self.fallback(environ, start_response)
        except NotImplementedError as error:
            message = f"This operation is not available on the local backend ({error})."
            if "HTTP_X_AMZ_TARGET" in environ or "json" in environ.get("CONTENT_TYPE", ""):
                status, headers, raw = protocol.serialize_error(None, protocol.ServiceError("NotImplemented", message, 501))
            else:
                raw = (f"<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>{escape(message)}"
                       "</Message></Error></ErrorResponse>").encode()
                status, headers = 501, {"Content-Type": "text/xml"}
            headers["Content-Length"] = str(len(raw))
            start_response(f"{status} Not Implemented", list(headers.items()))
            return [raw]


class _HeaderView(dict):
    """Case-insensitive header lookup, as HTTP headers are."""

    def __contains__(self, key):
        return super().__contains__(key.lower())

    def __getitem__(self, key):
        return super().__getitem__(key.lower())


_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Payload Too Large",
            424: "Failed Dependency", 429: "Too Many Requests", 500: "Internal Server Error"}
