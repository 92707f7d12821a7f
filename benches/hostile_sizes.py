#!/usr/bin/env python3
"""A hostile Coder on 127.0.0.1 for benches/hostile-sizes.sh: it answers like a deployment
with one GitHub provider, but makes its answers large.

  agent   the agent route answers 200 with a `token_extra` of about 720 KB: 20,000 distinct
          values, each a secret the run must register and mask (issue 23: four such answers
          cost 75 s of CPU when secret bookkeeping was quadratic).
  bulk    every answer is about 1 MiB of JSON, most of it keys the contract does not know
          (issue 23: 50 MB of answers gave a 426 MiB peak and a 72 MiB JSON report).

Usage: hostile_sizes.py MODE PORT_FILE. Writes the port it listens on to PORT_FILE.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
PROVIDER = {
    "id": "github", "type": "github", "device": True, "display_name": "GitHub",
    "display_icon": "/icon/github.svg", "allow_refresh": True, "allow_validate": True,
    "supports_revocation": True, "code_challenge_methods_supported": ["S256"],
}


def agent_answer():
    extra = {f"k{i:05d}": f"extra-secret-value-{i:05d}" for i in range(20_000)}
    return {"url": "https://github.com", "access_token": "gho_HOSTILExACCESSxTOKEN",
            "token_extra": extra, "username": "", "password": "", "type": "github"}


def padded(body):
    """`body` with about 1 MiB of keys nobody documented."""
    if isinstance(body, dict):
        body = dict(body)
        for i in range(26_000):
            body[f"unknown_key_{i:05d}"] = "x" * 16
    return body


AGENT = json.dumps(agent_answer()).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Coder-Build-Version", "v2.36.1+hostile")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/api/v2/external-auth":
            body = {"providers": [PROVIDER], "links": []}
        elif path.startswith("/api/v2/workspaceagents/me/external-auth") and MODE == "agent":
            self.answer(200, AGENT)
            return
        elif path == "/api/v2/external-auth/github":
            body = {"authenticated": False, "device": True, "display_name": "GitHub",
                    "supports_revocation": True, "user": None, "app_installable": False,
                    "installations": [], "app_install_url": ""}
        else:
            body = {"message": "Resource not found or you do not have access to this resource"}
            self.answer(404, padded(body) if MODE == "bulk" else body)
            return
        self.answer(200, padded(body) if MODE == "bulk" else body)

    def do_POST(self):
        self.answer(400, {"message": "Bad request."})

    do_DELETE = do_POST


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
