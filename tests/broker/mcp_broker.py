"""An MCP client written by others (the PyPI `mcp` SDK) calls vault_http against `make dev`:
the local upstream gets the secret; no tool result the client sees carries it.
Env: CREDVAULT_API_URL, CREDVAULT_API_KEY, UPSTREAM (host:port), SECRET, RECEIVED_FILE."""

import asyncio
import json
import os
import sys

from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def main() -> int:
    url, key = os.environ["CREDVAULT_API_URL"] + "/mcp", os.environ["CREDVAULT_API_KEY"]
    upstream, secret = os.environ["UPSTREAM"], os.environ["SECRET"]
    failures = []
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {key}"}) as http, \
            streamable_http_client(url, http_client=http) as (read, write, *_):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            if "vault_http" not in tools:
                failures.append("vault_http is not listed")
            stored = await session.call_tool("vault_store", {
                "name": "mcp-broker", "type": "API_KEY", "data": {"key": secret},
                "usePolicy": {"hosts": [upstream], "methods": ["GET"]},
            })
            if stored.is_error:
                failures.append(f"vault_store: {stored.content}")
            result = await session.call_tool("vault_http", {
                "name": "mcp-broker", "method": "GET", "url": f"http://{upstream}/mcp?k={{{{data.key}}}}",
                "headers": {"Authorization": "Bearer {{data.key}}"},
            })
            seen = json.dumps([c.model_dump() for c in result.content]) + json.dumps(result.structured_content or {})
            if result.is_error:
                failures.append(f"vault_http failed: {seen[:300]}")
            if secret in seen or secret.encode().hex() in seen:
                failures.append("the secret reached the MCP client")
            if "Bearer {{data.key}}" not in seen:
                failures.append("no placeholder in the echoed answer")
    with open(os.environ["RECEIVED_FILE"], encoding="utf-8") as log:
        if f"Bearer {secret}" not in log.read():
            failures.append("the upstream did not receive the secret")
    for failure in failures:
        print(f"FAIL mcp broker: {failure}")
    print(f"mcp broker: {'ok' if not failures else 'failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
