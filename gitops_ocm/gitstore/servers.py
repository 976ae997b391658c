"""Serving bare repositories on loopback: ``git daemon`` and a smart-HTTP bridge.

I/O, for tests and the demo. Both run Git's own server side (receive-pack with
hooks), unlike pygit2's file:// transport, which writes refs directly and skips
hooks. The HTTP bridge runs ``git http-backend`` as a CGI program behind the
standard library's HTTP server, with optional basic authentication so that
credential handling can be exercised. Both listen on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http import server
from pathlib import Path

from gitops_ocm import errors

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until something accepts connections on ``port``, or the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise errors.Transient(f"git daemon exited with status {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.2):
            return
        time.sleep(0.02)
    raise errors.Transient(f"git daemon did not listen on port {port} within {timeout} s")


def daemon_command(root: str | os.PathLike[str], port: int) -> list[str]:
    """The ``git daemon`` command serving every repository below ``root`` on loopback."""
    return [
        "git", "daemon", "--reuseaddr", f"--base-path={root}", "--export-all",
        "--enable=receive-pack", f"--listen={LOOPBACK}", f"--port={port}", str(root),
    ]  # fmt: skip


@contextlib.contextmanager
def git_daemon(root: str | os.PathLike[str], *, timeout: float = 10.0) -> Iterator[str]:
    """Serve every repository below ``root`` (push enabled); yield the base ``git://`` URL."""
    port = free_port()
    cmd = daemon_command(root, port)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc, timeout)
        yield f"git://{LOOPBACK}:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_body(handler: server.BaseHTTPRequestHandler) -> bytes:
    """Read the request body, decoding ``Transfer-Encoding: chunked`` (libgit2 sends it)."""
    if handler.headers.get("Transfer-Encoding", "").lower() != "chunked":
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    body = bytearray()
    while True:
        size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            handler.rfile.readline()
            return bytes(body)
        body += handler.rfile.read(size)
        handler.rfile.readline()


def _split_cgi(output: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Split CGI output into status code, headers and body."""
    sep = output.find(b"\r\n\r\n")
    head, body = (output[:sep], output[sep + 4 :]) if sep >= 0 else output.split(b"\n\n", 1)
    status, headers = 200, []
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.split()[0])
        else:
            headers.append((key.strip(), value.strip()))
    return status, headers, body


class _Bridge(server.BaseHTTPRequestHandler):
    """Runs ``git http-backend`` for each request (CGI)."""

    root = ""
    credentials: tuple[str, str] | None = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet (tests)."""

    def do_GET(self) -> None:
        """Serve ref advertisements and dumb-protocol files."""
        self._serve()

    def do_POST(self) -> None:
        """Serve upload-pack and receive-pack."""
        self._serve()

    def _authorised(self) -> bool:
        if self.credentials is None:
            return True
        token = base64.b64encode(":".join(self.credentials).encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {token}"

    def _serve(self) -> None:
        body = _read_body(self) if self.command == "POST" else b""
        if not self._authorised():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=self._environ(len(body)),
            capture_output=True, check=False,
        )  # fmt: skip
        status, headers, payload = _split_cgi(done.stdout)
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _environ(self, length: int) -> dict[str, str]:
        path, _, query = self.path.partition("?")
        env = {
            **os.environ, "GIT_PROJECT_ROOT": self.root, "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(length),
            "REMOTE_USER": self.credentials[0] if self.credentials else "anonymous",
            "REMOTE_ADDR": LOOPBACK,
        }  # fmt: skip
        for header, var in (("Git-Protocol", "HTTP_GIT_PROTOCOL"),
                            ("Content-Encoding", "HTTP_CONTENT_ENCODING")):  # fmt: skip
            if header in self.headers:
                env[var] = self.headers[header]
        return env


@contextlib.contextmanager
def http_bridge(
    root: str | os.PathLike[str], *, credentials: tuple[str, str] | None = None
) -> Iterator[str]:
    """Serve every repository below ``root`` over smart HTTP; yield the base ``http://`` URL.

    With ``credentials`` (user, password), every request needs that basic auth.
    """
    handler = type("Bridge", (_Bridge,), {"root": str(Path(root)), "credentials": credentials})
    httpd = server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
