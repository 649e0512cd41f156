"""Serve the built site as a static host would, precompressed files included.

``jisr build`` writes ``page.html.br`` and ``page.html.gz`` beside ``page.html``
(``jisr.book.precompress``). A browser that accepts brotli or gzip gets the
compressed copy with ``Content-Encoding`` set, exactly as nginx does with
``brotli_static on; gzip_static on;``: nothing is compressed while serving.
"""

from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path
from typing import BinaryIO

ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # in order of preference: brotli is smaller


def accepted_encodings(header: str | None) -> set[str]:
    """The content codings an ``Accept-Encoding`` header allows (those with ``q=0`` are refused).

    >>> sorted(accepted_encodings("gzip, deflate, br;q=0"))
    ['deflate', 'gzip']
    """
    accepted = set()
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name and q > 0:
            accepted.add(name.strip().lower())
    return accepted


class PrecompressedHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that answers with ``name.br`` or ``name.gz`` when the client accepts it."""

    def send_head(self) -> BinaryIO | None:  # type: ignore[override]
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].split("#", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to "folder/"
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return super().send_head()
        accepted = accepted_encodings(self.headers.get("Accept-Encoding"))
        for encoding, suffix in ENCODINGS:
            if encoding in accepted and os.path.isfile(path + suffix):
                handle = open(path + suffix, "rb")
                stat = os.fstat(handle.fileno())
                self.send_response(200)
                self.send_header("Content-Type", self.guess_type(path))
                self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(stat.st_size))
                self.send_header("Vary", "Accept-Encoding")
                self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
                self.end_headers()
                return handle
        return super().send_head()


class QuietPrecompressedHandler(PrecompressedHandler):
    """The same, without a log line per request (tests)."""

    def log_message(self, *args: object) -> None:
        pass


def make_server(site: Path, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``site`` (port 0: any free port)."""
    handler = functools.partial(QuietPrecompressedHandler if quiet else PrecompressedHandler, directory=str(site))
    return http.server.ThreadingHTTPServer((host, port), handler)
