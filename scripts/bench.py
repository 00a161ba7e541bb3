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
        self.handed_out = {}  # request id -> when its event left; several may be in flight
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
                api.handed_out[request_id] = time.perf_counter()
                self.wfile.write(payload)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                answered = time.perf_counter()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                # /2018-06-01/runtime/invocation/<id>/response
                request_id = self.path.rstrip("/").split("/")[-2]
                api.answers.put((answered - api.handed_out[request_id], body, answered))

        self.port = free_port()
        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a process stopped mid-poll resets its connection: expected here

        self.server = Server(("127.0.0.1", self.port), Handler)
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


def one_cold_start(command, env, make_event, moto_log, invocations=INVOCATIONS):
    api = RuntimeApi()
    for i in range(invocations):
        api.events.put((f"req-{i}", make_event(i)))
    full_env = dict(os.environ, **env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}",
                    AWS_LAMBDA_FUNCTION_NAME="bench", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
                    AWS_LAMBDA_FUNCTION_VERSION="1", RUST_LOG="warn")
    calls_before = moto_requests(moto_log) if moto_log else 0
    spawned = time.perf_counter()
    # BENCH_WRAP (e.g. "perf record -g -o target/perf.data --"): profile the credvault rows.
    if os.environ.get("BENCH_WRAP") and command[0].endswith("credvault-api"):
        command = os.environ["BENCH_WRAP"].split() + command
    process = subprocess.Popen(command, env=full_env, cwd=env.get("LAMBDA_TASK_ROOT"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies, cpu_at_first = [], None
    try:
        for i in range(invocations):
            latency, body, _ = api.answers.get(timeout=30)
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
    calls = (moto_requests(moto_log) - calls_before) / invocations if moto_log else 0.0
    warm = sorted(latencies[1:])
    return {
        "init": (api.first_next - spawned) * 1000,
        "first": latencies[0] * 1000,
        "p50": warm[len(warm) // 2] * 1000,
        "p90": warm[int(len(warm) * 0.9)] * 1000,
        "cpu": (cpu_total - cpu_at_first) / max(invocations - 1, 1) * 1000,
        "rss": rss,
        "calls": calls,
    }


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


VENV = os.path.join(ROOT, ".venv", "bin")
LATENCY_PROXY = os.path.join(ROOT, "scripts", "latency_proxy.py")
AWS_CREDENTIALS = dict(AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
                       AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
TABLE, ALIAS = "credvault-bench", "alias/credvault-bench"


def wait_for_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: nothing listens on 127.0.0.1:{port}")


# moto server with two fixes to its timing, none to its behaviour in these runs:
# - its server writes headers and body apart; with Nagle's algorithm on, each AWS call would
#   wait out the client's delayed ACK (40 ms), which AWS itself never adds;
# - TransactWriteItems deep-copies every table it touches, to roll back on failure: a cost
#   that grows with the table (the activity log fills it), which DynamoDB does not have. The
#   copy here is of the table's item maps only, the items shared: a rollback still restores
#   every item a Put or Delete replaced or removed. (An Update in a failed transaction would
#   not be undone; credvault's transactions hold none, and the bench stops on any non-2xx.)
MOTO_SERVE = """
import copy, socketserver, sys
from collections import defaultdict
socketserver.StreamRequestHandler.disable_nagle_algorithm = True
import moto.dynamodb.models as models
from moto.dynamodb.models.table import Table

class ShallowTableCopy:
    @staticmethod
    def deepcopy(table):
        if not isinstance(table, Table):
            return copy.deepcopy(table)
        snapshot = copy.copy(table)
        snapshot.items = defaultdict(dict, {h: (dict(r) if isinstance(r, dict) else r)
                                            for h, r in table.items.items()})
        return snapshot

models.copy = ShallowTableCopy
from moto.server import main
main(sys.argv[1:])
"""


class Moto:
    """A fresh moto server per case, with the table, the key and one identity: every case
    starts from the same table size (moto's transactions slow down as a table grows)."""

    def __init__(self, log_name):
        self.port = free_port()
        self.log = os.path.join(TARGET, log_name)
        self.process = subprocess.Popen(
            [os.path.join(VENV, "python"), "-c", MOTO_SERVE, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        wait_for_port(self.port)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        os.environ.update(AWS_CREDENTIALS, AWS_ENDPOINT_URL=self.endpoint)
        cli = os.path.join(TARGET, "release", "credvault")
        subprocess.run([cli, "setup-local", "--table", TABLE, "--kms-alias", ALIAS],
                       check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([cli, "identity", "create", "--table", TABLE, "--kms-key", ALIAS,
                                  "--name", "bench"], check=True, capture_output=True, text=True)
        self.key = json.loads(created.stdout)["apiKey"]

    def stop(self):
        self.process.terminate()
        self.process.wait()


def throughput(api, in_flight, delay_ms, count):
    """Invocations per second of one process given `count` GETs, `in_flight` at a time (Lambda
    Managed Instances' AWS_LAMBDA_MAX_CONCURRENCY), each AWS call `delay_ms` away."""
    moto = Moto("bench-moto-throughput.log")
    proxy_port = free_port()
    proxy = subprocess.Popen([os.path.join(VENV, "python"), LATENCY_PROXY, str(proxy_port),
                              str(moto.port), str(delay_ms)])
    try:
        wait_for_port(proxy_port)
        env = dict(TABLE_NAME=TABLE, KMS_KEY_ID=ALIAS, RATE_LIMIT_PER_MINUTE="1000000",
                   AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}")
        seed(api, env, moto.key)
        if in_flight > 1:
            env["AWS_LAMBDA_MAX_CONCURRENCY"] = str(in_flight)
        runtime = RuntimeApi()
        for i in range(count):
            runtime.events.put((f"req-{i}", event("GET", f"/v0/vault/bench-{i % 20}", moto.key)))
        full_env = dict(os.environ, **env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{runtime.port}",
                        AWS_LAMBDA_FUNCTION_NAME="bench", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
                        AWS_LAMBDA_FUNCTION_VERSION="1", RUST_LOG="warn")
        process = subprocess.Popen([api], env=full_env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            answered = []
            for i in range(count):
                _, body, at = runtime.answers.get(timeout=60)
                if json.loads(body).get("statusCode") != 200:
                    raise SystemExit(f"bench: a throughput invocation answered {body[:300]!r}")
                answered.append(at)
        finally:
            process.terminate()
            process.wait()
            runtime.stop()
        return (count - 1) / (max(answered) - min(answered))
    finally:
        proxy.terminate()
        proxy.wait()
        moto.stop()


def seed(api, env, key):
    """Stores bench-0 .. bench-19 through the function itself (one cold start, not timed)."""
    login = json.dumps({"type": "LOGIN", "data": {"password": "p" * 32},
                        "metadata": {"uri": "https://example.com"}})
    one_cold_start([api], env, lambda i: event("PUT", f"/v0/vault/bench-{i}", key, login), None,
                   invocations=20)


def main():
    # BENCH_PROFILE=profiling: the function built with symbols (Cargo.toml), for perf.
    api = os.path.join(TARGET, os.environ.get("BENCH_PROFILE", "release"), "credvault-api")
    hello = os.path.join(TARGET, "release", "examples", "hello")
    peer_root = os.path.join(ROOT, "benches", "peer")
    peer = [os.path.join(VENV, "python"), "-m", "awslambdaric", "handler.handler"]
    env = dict(TABLE_NAME=TABLE, KMS_KEY_ID=ALIAS, RATE_LIMIT_PER_MINUTE="1000000")
    peer_env = dict(TABLE_NAME=TABLE, KMS_KEY_ID=ALIAS, LAMBDA_TASK_ROOT=peer_root,
                    PYTHONPATH=peer_root)
    login = json.dumps({"type": "LOGIN", "data": {"password": "p" * 32},
                        "metadata": {"uri": "https://example.com"}})
    put = lambda key: lambda i: event("PUT", f"/v0/vault/bench-{i % 20}", key, login)
    cases = [
        ("hello-world lambda_http", [hello], {}, lambda key: lambda i: event("GET", "/", key), False),
        ("Python peer PUT", peer, peer_env, put, False),
        ("credvault PUT", [api], env, put, False),
        ("credvault GET", [api], env,
         lambda key: lambda i: event("GET", f"/v0/vault/bench-{i % 20}", key), True),
        ("credvault list", [api], env, lambda key: lambda i: event("GET", "/v0/vault", key), True),
    ]
    # BENCH_ROWS=PUT: only the rows whose label contains it (hello world and the peer stay,
    # for the ratios).
    only = os.environ.get("BENCH_ROWS")
    cases = [c for c in cases if not only or only in c[0] or "credvault" not in c[0]]
    results = {}
    for label, command, case_env, make_events, needs_seed in cases:
        moto = Moto("bench-moto.log")
        try:
            if needs_seed:
                seed(api, env, moto.key)
            # One unmeasured run first: moto, a fresh Python process, pays for its own lazy
            # imports on the first call of each operation, which AWS never charges.
            one_cold_start(command, case_env, make_events(moto.key), None, invocations=20)
            log = None if command == [hello] else moto.log
            runs = [one_cold_start(command, case_env, make_events(moto.key), log)
                    for _ in range(COLD_STARTS)]
        finally:
            moto.stop()
        results[label] = median_of(runs)
    header = (f"{'':26} {'init ms':>8} {'first ms':>9} {'warm p50':>9} {'warm p90':>9} "
              f"{'CPU ms/inv':>11} {'peak RSS MB':>12} {'AWS calls':>10}")
    print(header)
    for label, r in results.items():
        print(f"{label:26} {r['init']:8.1f} {r['first']:9.2f} {r['p50']:9.2f} {r['p90']:9.2f} "
              f"{r['cpu']:11.3f} {r['rss']:12.1f} {r['calls']:10.2f}")
    print(f"({INVOCATIONS} invocations per cold start, median of {COLD_STARTS} cold starts; "
          "AWS = moto on loopback, a fresh one per row; warm caches on, as deployed)")
    if only:
        return
    print_ratios(results)

    count = int(os.environ.get("BENCH_THROUGHPUT_INVOCATIONS", "400"))
    print("\nthroughput of one process, warm GETs (goal: 8 in flight >= 6x 1 in flight)")
    for delay in os.environ.get("BENCH_AWS_LATENCY_MS", "10,50").split(","):
        delay = float(delay)
        one = throughput(api, 1, delay, count)
        eight = throughput(api, 8, delay, count)
        print(f"  each AWS call {delay:g} ms away: 1 in flight {one:.0f}/s, "
              f"8 in flight {eight:.0f}/s: {eight / one:.1f}x")


def print_ratios(results):
    hello, peer = results["hello-world lambda_http"], results["Python peer PUT"]
    put, get = results["credvault PUT"], results["credvault GET"]
    rows = [
        ("warm PUT p50 / peer's PUT p50", put["p50"] / peer["p50"], "<= 1.1"),
        ("warm GET p50 / peer's PUT p50", get["p50"] / peer["p50"], "<= 1.2"),
        ("first PUT / warm PUT p50", put["first"] / put["p50"], "<= 2"),
        ("first GET / warm GET p50", get["first"] / get["p50"], "<= 2"),
        ("(init + first PUT) / peer's", (put["init"] + put["first"]) / (peer["init"] + peer["first"]),
         "<= 0.1"),
        ("CPU per warm PUT / hello world's", put["cpu"] / hello["cpu"], "<= 4"),
    ]
    print("\nratio                               measured   goal")
    for label, value, goal in rows:
        print(f"{label:35} {value:8.2f}   {goal}")
    print(f"peak RSS {max(r['rss'] for r in results.values() if r is not peer):.1f} MB "
          "(credvault, goal <= 16 MB)")


if __name__ == "__main__":
    sys.exit(main())
