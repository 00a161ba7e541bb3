"""Schemathesis hooks for credvault's openapi.yaml (loaded by tests/schemathesis/config.toml).

Bodies that are not UTF-8 are left out. Schemathesis sends a few random byte strings as JSON
bodies; `cargo lambda watch` (make dev's stand-in for API Gateway) cannot put such a body in the
JSON event it hands the function, and answers a bare 500 itself before credvault runs. API
Gateway does not pass such bytes as text either: an HTTP API decides by Content-Type whether to
base64-encode a body (isBase64Encoded), and credvault's handler reads both forms. Random bytes
that are valid UTF-8 but not JSON still go out.
"""

import schemathesis
from schemathesis import GenerationMode


@schemathesis.hook
def filter_body(context, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


# A credential request's DELETE cancels it, and its status still answers afterwards (200,
# `"status": "cancelled"`): the request is settled, not gone. Schemathesis's use-after-free
# check (ST301) reads any 2XX after a 2XX DELETE of the same path as a deleted resource still
# served; that one answer, and only it, is not a failure here.
@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST301":
        return True
    if case.operation.path != "/v0/credential-requests/{requestId}" or response.status_code != 200:
        return True
    try:
        return response.json().get("status") != "cancelled"
    except ValueError:
        return True


# POST /mcp answers an invalid message the way JSON-RPC does: a 200 that carries an `error`
# (config.toml allows the 200 under negative_data_rejection for that reason). This check keeps
# that allowance from letting through a 200 with a `result`, i.e. invalid input accepted.
@schemathesis.check
def mcp_invalid_message_is_answered_with_an_error(ctx, response, case):
    if case.operation.path != "/mcp" or case.method.upper() != "POST" or response.status_code != 200:
        return None
    meta = getattr(case, "meta", None)
    if meta is None or meta.generation.mode != GenerationMode.NEGATIVE:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError("a 200 from /mcp that is not JSON") from None
    if not isinstance(body, dict) or "error" not in body:
        raise AssertionError("an invalid /mcp message was answered with a result, not an error")
    return None
