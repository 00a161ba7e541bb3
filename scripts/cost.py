#!/usr/bin/env python3
"""Cost per million requests of each endpoint, before issue 12 and now (BENCHMARKS.md).

The units per request below are transcribed from the tests that count them (keep them in
step): AWS calls and round trips in sequence from tests/moto/round_trips.rs, DynamoDB
capacity units from tests/moto/capacity.rs (item sizes billed as DynamoDB documents them),
plus 1 write unit for the rate count, which capacity.rs runs without. Prices are the public us-east-1 list prices
used below; edit PRICES for your region. Lambda duration is estimated, not measured: the
round trips in sequence times ROUND_TRIP_MS (an in-region DynamoDB or KMS call), plus the CPU
time `make bench` measured, on arm64 at 128 MB.
"""

PRICES = {
    "api_gateway": 1.00,  # HTTP API, per million requests (first 300 million a month)
    "lambda_request": 0.20,  # per million requests
    "lambda_gb_second": 0.0000133334,  # arm64
    "kms": 3.00,  # per million GenerateDataKey / Decrypt calls
    "wru": 0.625,  # DynamoDB on-demand, per million write request units
    "rru": 0.125,  # per million read request units
}
MEMORY_GB = 128 / 1024
ROUND_TRIP_MS = 6
CPU_MS = 2.5

# (endpoint, round trips in sequence, KMS calls, read units, write units), a 1 KB credential
# (list: 10 of them); "now" on a warm instance (principal cached). Before: issue 12 as filed.
BEFORE = [
    ("PUT", 4, 1, 1, 2),
    ("GET", 5, 1, 2, 2),
    ("GET list", 3, 0, 4, 1),
    ("GET, 200 KiB of data", 5, 1, 52, 201),
]
NOW = [
    ("PUT", 2, 1, 0, 8),
    ("GET, first read in 5 min", 3, 1, 2, 4),
    ("GET, re-read (data key cached, lastUsedAt within the minute)", 2, 0, 2, 3),
    ("GET list", 2, 0, 1, 3),
    ("GET, 200 KiB of data, re-read", 2, 0, 52, 3),
]


def cost(round_trips, kms, rru, wru):
    duration_s = (round_trips * ROUND_TRIP_MS + CPU_MS) / 1000
    parts = {
        "API Gateway": PRICES["api_gateway"],
        "Lambda": PRICES["lambda_request"]
        + duration_s * MEMORY_GB * PRICES["lambda_gb_second"] * 1_000_000,
        "KMS": kms * PRICES["kms"],
        "DynamoDB": rru * PRICES["rru"] + wru * PRICES["wru"],
    }
    return parts, sum(parts.values())


def table(title, rows):
    print(f"\n{title}")
    print(f"| endpoint | API Gateway | Lambda | KMS | DynamoDB | total $ per million |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, *units in rows:
        parts, total = cost(*units)
        cells = " | ".join(f"{parts[k]:.2f}" for k in ("API Gateway", "Lambda", "KMS", "DynamoDB"))
        print(f"| {name} | {cells} | {total:.2f} |")


if __name__ == "__main__":
    table("Before (issue 12 as filed)", BEFORE)
    table("Now (warm instance)", NOW)
