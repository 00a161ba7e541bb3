"""An MCP client written by others (the PyPI `mcp` package) against a running credvault.

Run by scripts/e2e.sh against `make dev`'s `/mcp`. Reads CREDVAULT_API_URL, CREDVAULT_API_KEY
(vault:read + vault:write), CREDVAULT_READ_KEY (vault:read only) and CREDVAULT_PLATFORM_KEY
(a platform key). Lists and calls every tool through the package's Streamable HTTP client, as
Claude Desktop or Cursor would.
"""

import asyncio
import json
import os
import sys
import traceback

from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

URL = os.environ["CREDVAULT_API_URL"].rstrip("/") + "/mcp"
results = []

ALL_TOOLS = {
    "vault_list", "vault_get", "vault_totp", "vault_store", "vault_storeApiKey",
    "vault_storeCard", "vault_storeShippingAddress", "vault_delete",
    "vault_totp_use_backup", "vault_http", "vault_request", "vault_request_status", "vault_request_cancel",
    "identity_whoami",
}


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} mcp: {name}{'' if ok else ': ' + str(detail)}")


async def session_for(headers, body):
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(URL, http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await body(session)


def structured(result):
    data = json.loads(result.content[0].text)
    assert result.structured_content in (None, data), (result.structured_content, data)
    return data


async def as_writer(session):
    tools = {t.name: t for t in (await session.list_tools()).tools}
    check("a writer sees every tool", set(tools) == ALL_TOOLS, sorted(tools))
    check("reads say they are read-only", tools["vault_get"].annotations.read_only_hint is True)
    check("delete says it is destructive", tools["vault_delete"].annotations.destructive_hint is True)
    calls = [
        ("vault_store", {"name": "mcp-2fa", "type": "TOTP",
                         "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["m-1"]}},
         lambda d: d["credentialId"].startswith("cred_")),
        ("vault_storeApiKey", {"name": "mcp-stripe", "secret": "sk_live_mcp"},
         lambda d: d["type"] == "API_KEY"),
        ("vault_storeCard", {"name": "mcp-card", "cardholder": "A Bot", "number": "4242424242424242",
                             "expMonth": "12", "expYear": "2030", "cvc": "123"},
         lambda d: d["metadata"]["last4"] == "4242"),
        ("vault_storeShippingAddress", {"name": "mcp-home", "recipient": "A Bot", "line1": "1 Main St",
                                        "city": "Springfield", "state": "IL", "postcode": "62701",
                                        "country": "US"},
         lambda d: d["type"] == "SHIPPING_ADDRESS"),
        ("vault_get", {"name": "mcp-stripe"}, lambda d: d["data"] == {"key": "sk_live_mcp"}),
        ("vault_list", {}, lambda d: d["count"] >= 4),
        ("vault_totp", {"name": "mcp-2fa"}, lambda d: len(d["code"]) == 6),
        ("vault_totp_use_backup", {"name": "mcp-2fa"}, lambda d: d == {"code": "m-1", "remaining": 0}),
        ("vault_delete", {"name": "mcp-card"}, lambda d: d["deleted"] is True),
        ("identity_whoami", {}, lambda d: "vault:write" in d["scopes"]),
    ]
    for tool, arguments, expect in calls:
        try:
            result = await session.call_tool(tool, arguments)
            data = structured(result)
            check(f"{tool} works", not result.is_error and expect(data), data)
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            check(f"{tool} works", False, traceback.format_exc())
    missing = await session.call_tool("vault_get", {"name": "mcp-card"})
    check("a vault error is a tool result", missing.is_error and "not found" in missing.content[0].text,
          missing)


async def as_reader(session):
    tools = {t.name for t in (await session.list_tools()).tools}
    check("a reader sees the read tools only",
          tools == {"vault_list", "vault_get", "vault_totp", "vault_totp_use_backup",
                    "vault_http", "identity_whoami"}, sorted(tools))
    refused = await session.call_tool("vault_delete", {"name": "mcp-stripe"})
    check("a call outside the key's scopes is refused",
          refused.is_error and "vault:write" in refused.content[0].text, refused)


PLATFORM_TOOLS = {
    "identities_list", "identities_get", "identities_create", "identities_update",
    "identities_update_scopes", "identities_delete", "identities_rotate_key",
}


async def as_platform(session):
    tools = {t.name for t in (await session.list_tools()).tools}
    check("a platform key sees the platform tools only", tools == PLATFORM_TOOLS, sorted(tools))
    made = structured(await session.call_tool("identities_create", {"name": "mcp-agent", "scopes": ["vault:read"]}))
    check("identities_create makes one, key shown once", made["rawKey"].startswith("mgnt-"), made)
    identity = {"identityId": made["identityId"]}
    calls = [
        ("identities_get", identity, lambda d: d["name"] == "mcp-agent" and "rawKey" not in d),
        ("identities_update", {**identity, "name": "mcp-renamed"}, lambda d: d["name"] == "mcp-renamed"),
        ("identities_update_scopes", {**identity, "addScopes": ["vault:write"]},
         lambda d: sorted(d["scopes"]) == ["vault:read", "vault:write"]),
        ("identities_rotate_key", identity, lambda d: d["rawKey"] != made["rawKey"]),
        ("identities_list", {"limit": 100},
         lambda d: made["identityId"] in [i["identityId"] for i in d["identities"]]),
        ("identities_delete", identity, lambda d: d == {**identity, "deleted": True}),
    ]
    for tool, arguments, expect in calls:
        try:
            result = await session.call_tool(tool, arguments)
            data = structured(result)
            check(f"{tool} works", not result.is_error and expect(data), data)
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            check(f"{tool} works", False, traceback.format_exc())
    gone = await session.call_tool("identities_get", identity)
    check("a deleted identity is not found", gone.is_error and "not found" in gone.content[0].text, gone)
    try:
        prompts = await session.list_prompts()
        check("no vault prompts for a platform key", not prompts.prompts, prompts)
    except MCPError:  # no prompts capability at all: the method is unknown
        check("no vault prompts for a platform key", True)


async def as_writer_prompts(session):
    names = {p.name for p in (await session.list_prompts()).prompts}
    check("the hosted product's prompts", names == {"whoami", "list-credentials", "store-credential", "get-totp"},
          sorted(names))


async def main():
    key, reader = os.environ["CREDVAULT_API_KEY"], os.environ["CREDVAULT_READ_KEY"]
    await session_for({"Authorization": f"Bearer {key}"}, as_writer)
    # The hosted product's own MCP setup puts the bare key in a header of its own.
    await session_for({"LOOMAL_API_KEY": reader}, as_reader)
    await session_for({"Authorization": f"Bearer {key}"}, as_writer_prompts)
    await session_for({"Authorization": f"Bearer {os.environ['CREDVAULT_PLATFORM_KEY']}"}, as_platform)


try:
    asyncio.run(main())
except Exception:  # noqa: BLE001
    check("the session runs", False, traceback.format_exc())
passed = sum(results)
print(f"mcp: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if results and all(results) else 1)
