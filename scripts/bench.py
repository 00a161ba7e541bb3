#!/usr/bin/env python3
"""`make bench`: the release function under a local Lambda Runtime API, against moto.

For each binary (credvault-api, and a hello-world lambda_http built in the same run) and each
request (PUT, GET, list for credvault), it starts the process cold three times, serves it 200
API Gateway v2 events one after another through a stand-in of the Runtime API, and prints:
init (spawn to the first /next), the first invocation, warm p50 / p90 (event handed out to
response received), CPU per warm invocation (/proc utime + stime), peak RSS (VmHWM) and AWS
calls per request (requests moto served, divided by invocations). Medians of the three cold
starts. Everything on loopback; the processes it starts are stopped at the end.
"""

import http.server
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
INVOCATIONS = int(os.environ.get("BENCH_INVOCATIONS", "200"))
COLD_STARTS = int(os.environ.get("BENCH_COLD_STARTS", "3"))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RuntimeApi:
    """A stand-in for the Lambda Runtime API: hands out queued events, times the answers."""

    def __init__(self):
        self.events = queue.Queue()
        self.answers = queue.Queue()
        self.first_next = None
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go in separate writes: without this, Nagle's algorithm and a
            # delayed ACK add 40 ms to every invocation.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_GET(self):
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                request_id, body = api.events.get()
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                deadline = int((time.time() + 10) * 1000)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                api.handed_out = time.perf_counter()

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                answered = time.perf_counter()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                api.answers.put((answered - api.handed_out, body))

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def event(method, path, key, body=None):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"authorization": f"Bearer {key}", "content-type": "application/json",
                    "host": "localhost", "user-agent": "bench"},
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "localhost",
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": "bench"},
                           "requestId": "bench", "routeKey": "$default", "stage": "$default",
                           "timeEpoch": 0},
        "body": body, "isBase64Encoded": False,
    }


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def moto_requests(moto_log):
    with open(moto_log) as f:
        return sum(1 for line in f if '"POST / HTTP' in line)


def one_cold_start(binary, env, make_event, moto_log):
    api = RuntimeApi()
    for i in range(INVOCATIONS):
        api.events.put((f"req-{i}", make_event(i)))
    full_env = dict(os.environ, **env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}",
                    AWS_LAMBDA_FUNCTION_NAME="bench", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
                    AWS_LAMBDA_FUNCTION_VERSION="1", RUST_LOG="warn")
    calls_before = moto_requests(moto_log) if moto_log else 0
    spawned = time.perf_counter()
    process = subprocess.Popen([binary], env=full_env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    latencies, cpu_at_first = [], None
    try:
        for i in range(INVOCATIONS):
            latency, body = api.answers.get(timeout=30)
            status = json.loads(body).get("statusCode")
            if status not in (200, 204):
                raise SystemExit(f"bench: invocation {i} answered {status}: {body[:300]!r}")
            latencies.append(latency)
            if i == 0:
                cpu_at_first = cpu_seconds(process.pid)
        cpu_total = cpu_seconds(process.pid)
        rss = peak_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait()
        api.stop()
    calls = (moto_requests(moto_log) - calls_before) / INVOCATIONS if moto_log else 0.0
    warm = sorted(latencies[1:])
    return {
        "init": (api.first_next - spawned) * 1000,
        "first": latencies[0] * 1000,
        "p50": warm[len(warm) // 2] * 1000,
        "p90": warm[int(len(warm) * 0.9)] * 1000,
        "cpu": (cpu_total - cpu_at_first) / (INVOCATIONS - 1) * 1000,
        "rss": rss,
        "calls": calls,
    }


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main():
    moto_port = free_port()
    moto_log = os.path.join(TARGET, "bench-moto.log")
    venv = os.path.join(ROOT, ".venv", "bin")
    aws = dict(AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}", AWS_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    os.environ.update(aws)
    # moto's server writes headers and body apart; with Nagle's algorithm on, each AWS call
    # would wait out the client's delayed ACK (40 ms), which AWS itself never adds.
    serve = ("import socketserver, sys; "
             "socketserver.StreamRequestHandler.disable_nagle_algorithm = True; "
             "from moto.server import main; main(sys.argv[1:])")
    moto = subprocess.Popen([os.path.join(venv, "python"), "-c", serve, "-H", "127.0.0.1", "-p",
                             str(moto_port)], stdout=open(moto_log, "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", moto_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cli = os.path.join(TARGET, "release", "credvault")
        table, alias = "credvault-bench", "alias/credvault-bench"
        env = dict(TABLE_NAME=table, KMS_KEY_ID=alias, RATE_LIMIT_PER_MINUTE="1000000")
        subprocess.run([cli, "setup-local", "--table", table, "--kms-alias", alias],
                       check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([cli, "identity", "create", "--table", table, "--kms-key", alias,
                                  "--name", "bench"], check=True, capture_output=True, text=True)
        key = json.loads(created.stdout)["apiKey"]
        login = json.dumps({"type": "LOGIN", "data": {"password": "p" * 32},
                            "metadata": {"uri": "https://example.com"}})
        api = os.path.join(TARGET, "release", "credvault-api")
        hello = os.path.join(TARGET, "release", "examples", "hello")
        cases = [
            ("hello-world lambda_http", hello, {}, lambda i: event("GET", "/", key), None),
            ("credvault PUT", api, env, lambda i: event("PUT", f"/v0/vault/bench-{i % 20}", key, login), moto_log),
            ("credvault GET", api, env, lambda i: event("GET", f"/v0/vault/bench-{i % 20}", key), moto_log),
            ("credvault list", api, env, lambda i: event("GET", "/v0/vault", key), moto_log),
        ]
        results = []
        for label, binary, case_env, make_event, log in cases:
            runs = [one_cold_start(binary, case_env, make_event, log) for _ in range(COLD_STARTS)]
            results.append((label, median_of(runs)))
        header = f"{'':26} {'init ms':>8} {'first ms':>9} {'warm p50':>9} {'warm p90':>9} {'CPU ms/inv':>11} {'peak RSS MB':>12} {'AWS calls':>10}"
        print(header)
        for label, r in results:
            print(f"{label:26} {r['init']:8.1f} {r['first']:9.2f} {r['p50']:9.2f} {r['p90']:9.2f} "
                  f"{r['cpu']:11.3f} {r['rss']:12.1f} {r['calls']:10.2f}")
        print(f"({INVOCATIONS} invocations per cold start, median of {COLD_STARTS} cold starts; "
              "AWS = moto on loopback; warm caches on, as deployed)")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    sys.exit(main())
