"""The local API server: the Kubernetes REST protocol over HTTP on 127.0.0.1, backed by a Store.

I/O: sockets and threads (stdlib ThreadingHTTPServer, one thread per connection,
HTTP/1.1 keep-alive). Discovery documents come from ``routes``, verbs from
``handlers``; this module decodes bodies, encodes answers and streams watches as
chunked newline-delimited JSON. Errors go out as ``Status`` objects.
"""

from __future__ import annotations

import http.server
import json
import threading
import traceback
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import handlers, patch, routes, store
from gitops_ocm.model import yamlout
from gitops_ocm.model.body import Body

_JSON = "application/json"


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    api: ApiServer


class ApiServer:
    """A running local API server; use as a context manager or call ``start``/``stop``."""

    def __init__(self, backing: store.Store, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = backing
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.api = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        """Return the bound port (useful after binding port 0)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Return the base URL clients use."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        """Serve in a background thread."""
        self.store.reopen()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and end open watches."""
        self.store.close()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def discovery(self, parts: list[str]) -> Body | None:
        """Return the discovery document at ``parts``, or None if it is not one."""
        registry = self.store.registry
        with self.store.cond:
            if parts == ["version"]:
                return routes.version_info()
            if parts == ["api"]:
                return routes.api_versions(f"127.0.0.1:{self.port}")
            if parts == ["apis"]:
                return routes.api_group_list(registry)
            if len(parts) == 2 and parts[0] == "apis":
                versions = registry.group_versions().get(parts[1])
                return routes.api_group(parts[1], versions) if versions else None
            gv = routes.group_version(parts)
            if gv is not None and not gv[2]:
                return routes.resource_list(registry, gv[0], gv[1])
        return None


def _decode_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    try:
        if content_type == patch.APPLY_YAML:  # within the limits of every YAML file we read
            return yamlout.load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        detail = "nesting too deep" if isinstance(exc, RecursionError) else str(exc)
        raise cluster.BadRequest(f"the request body could not be decoded: {detail}") from exc


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests and the demo read their own output."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = self._answer(method, raw)
        except cluster.ApiError as exc:
            self._send(exc.code, exc.to_status())
            return
        except Exception as exc:  # a bug of ours: report it as the API server would
            traceback.print_exc()
            self._send(500, cluster.ApiError(f"internal error: {exc}").to_status())
            return
        if isinstance(answer, handlers.Watch):
            self._stream(answer)
        else:
            self._send(*answer)

    def _answer(self, method: str, raw: bytes) -> handlers.Answer:
        url = urlsplit(self.path)
        parts = routes.split(url.path)
        api = self.server.api
        if method == "GET":
            if parts in (["healthz"], ["livez"], ["readyz"]):
                return 200, {"status": "ok"}
            document = api.discovery(parts)
            if document is not None:
                return 200, document
        gv = routes.group_version(parts)
        with api.store.cond:
            route = routes.parse(api.store.registry, *gv) if gv else None
        if route is None:
            raise cluster.NotFound("the server could not find the requested resource")
        content_type = (self.headers.get("Content-Type") or _JSON).split(";")[0].strip()
        request = handlers.Request(
            method=method,
            route=route,
            query={k: v[0] for k, v in parse_qs(url.query).items()},
            body=_decode_body(raw, content_type),
            content_type=content_type,
            user_agent=self.headers.get("User-Agent") or "",
        )
        return handlers.handle(api.store, request)

    def _send(self, code: int, document: Body) -> None:
        data = json.dumps(document, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", _JSON)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, document: Body) -> None:
        data = json.dumps(document, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, watch: handlers.Watch) -> None:
        self.send_response(200)
        self.send_header("Content-Type", _JSON)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._stream_events(watch)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _stream_events(self, watch: handlers.Watch) -> None:
        api_version, kind = "", ""
        try:
            for event_type, obj in watch.events:
                api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
                self._chunk({"type": event_type, "object": obj})
        except cluster.Gone as exc:
            self._chunk({"type": "ERROR", "object": exc.to_status()})
            return
        if watch.bookmarks and kind:
            self._chunk(handlers.bookmark(kind, api_version, self.server.api.store.rv))
