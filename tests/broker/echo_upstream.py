"""A plain HTTP upstream on loopback for the end-to-end run of brokered use: it answers every
request with what it received (method, path and query, headers, body) as JSON, in the body
and in headers, and appends each request to a file so the run can check that the secret
did arrive. Usage: echo_upstream.py PORT RECEIVED_FILE"""

import base64
import json
import sys
from urllib.parse import parse_qs, quote, urlsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        received = {"method": self.command, "path": self.path,
                    "headers": dict(self.headers.items()), "body": body}
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps(received) + "\n")
        auth = self.headers.get("authorization", "")
        # The query's `k` back in every form the vault scrubs: raw (above), base64, base64url,
        # hex, percent-encoded.
        k = parse_qs(urlsplit(self.path).query).get("k", [""])[0].encode()
        forms = {"b64": base64.b64encode(k).decode(), "b64url": base64.urlsafe_b64encode(k).decode().rstrip("="),
                 "hex": k.hex(), "HEX": k.hex().upper(), "pct": quote(k, safe="")}
        text = json.dumps({**received, "forms": forms}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-echo-authorization", auth)
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
