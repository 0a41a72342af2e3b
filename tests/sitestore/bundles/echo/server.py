"""A tiny preview site for the tests: echoes each request as JSON, streams on /stream, and starts a
helper child process (a second member of its session) so the tests can see the whole session end."""

import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if self.path.startswith("/stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for number in range(3):
                chunk = f"part {number}\n".encode()
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.startswith("/cwd"):
            with open("written-by-preview.txt", "w") as note:
                note.write("a preview writes only to its own copy")
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": body,
                "environment": dict(os.environ),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Set-Cookie", "site_cookie=1; Path=/")
        self.send_header("Keep-Alive", "timeout=5")
        self.send_header("Content-Security-Policy", "default-src *")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet: no access log."""


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    ThreadingHTTPServer(("127.0.0.1", port), Echo).serve_forever()
