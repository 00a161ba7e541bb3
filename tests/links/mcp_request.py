"""An MCP client written by others (the PyPI `mcp` package) asks for a secret by link:
vault_request gives the link, a person fulfils it (played here with plain HTTP, as a browser
posts the form), vault_request_status sees it fulfilled and vault_get reads the value.

Run by scripts/e2e-links.sh against `make dev`. Env: CREDVAULT_API_URL, CREDVAULT_API_KEY
(vault:read + vault:write).
"""

import asyncio
import json
import os
import secrets
import sys
import traceback

from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from link_http import field_inputs, http, scrape, submit

BASE = os.environ["CREDVAULT_API_URL"].rstrip("/")
URL = BASE + "/mcp"
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} mcp-link: {name}{'' if ok else ': ' + str(detail)[:800]}", flush=True)


def structured(result):
    data = json.loads(result.content[0].text)
    assert result.structured_content in (None, data), (result.structured_content, data)
    return data


def fulfil(url, value):
    """What a person's browser does: GET the page, POST its form back with the value typed."""
    status, _, html = http("GET", url)
    page = scrape(html)
    fields = field_inputs(page)
    check("the link's page is a form with a proof and one field",
          status == 200 and page.inputs.get("proof", {}).get("type") == "hidden" and fields == ["v0"],
          f"status {status}, inputs {list(page.inputs)}")
    form = {"proof": page.inputs.get("proof", {}).get("value", ""), **{name: value for name in fields}}
    status, _, html = submit(url, form)
    check("posting the form saves it", status == 200 and "done" in scrape(html).ids,
          f"status {status}: {html[:400]}")
    check("the done page does not show the value", value not in html)


async def as_agent(session):
    tools = {t.name: t for t in (await session.list_tools()).tools}
    for name in ("vault_request", "vault_request_status"):
        check(f"{name} is listed, with a description", name in tools and (tools[name].description or "").strip(),
              sorted(tools))
    value = f"sk_live_{secrets.token_hex(16)}"
    made = await session.call_tool("vault_request", {
        "name": "mcp-linked", "type": "API_KEY", "fields": [{"name": "key", "label": "API key", "secret": True}],
        "message": "The key for the MCP test, please",
    })
    asked = structured(made)
    check("vault_request gives a request id and a link to this stack",
          not made.is_error and asked["requestId"].startswith("creq_") and asked["status"] == "pending"
          and asked["url"].startswith(f"{BASE}/v0/links/"), asked)
    request = {"requestId": asked["requestId"]}
    token = asked["url"].rsplit("/", 1)[1]

    pending = await session.call_tool("vault_request_status", request)
    seen = structured(pending)
    check("vault_request_status: pending, never the link",
          not pending.is_error and seen["status"] == "pending" and seen["credentialId"] is None
          and token not in pending.content[0].text, seen)

    await asyncio.to_thread(fulfil, asked["url"], value)  # blocking urllib, off the loop

    done = await session.call_tool("vault_request_status", request)
    seen = structured(done)
    check("vault_request_status: fulfilled, with the credential's id",
          not done.is_error and seen["status"] == "fulfilled"
          and (seen["credentialId"] or "").startswith("cred_"), seen)
    check("the status never carries the value", value not in done.content[0].text)
    got = await session.call_tool("vault_get", {"name": "mcp-linked"})
    stored = structured(got)
    check("vault_get returns the value typed on the page",
          not got.is_error and stored["data"] == {"key": value} and stored["credentialId"] == seen["credentialId"],
          {k: v for k, v in stored.items() if k != "data"})

    unknown = await session.call_tool("vault_request_status", {"requestId": "creq_" + "0" * 32})
    check("an unknown request is a tool error", unknown.is_error, unknown)


async def main():
    headers = {"Authorization": f"Bearer {os.environ['CREDVAULT_API_KEY']}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(URL, http_client=client) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await as_agent(session)


try:
    asyncio.run(main())
except Exception:  # noqa: BLE001 - reported, then counted
    check("the session runs", False, traceback.format_exc())
passed = sum(results)
print(f"mcp-link: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if results and all(results) else 1)
