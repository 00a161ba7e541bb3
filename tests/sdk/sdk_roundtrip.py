"""The hosted product's official Python SDK (`mailgent-sdk`) against a running credvault.

Run by scripts/e2e.sh against `make dev`'s stack. Reads CREDVAULT_API_URL, CREDVAULT_API_KEY
(vault:read + vault:write) and CREDVAULT_READ_KEY (vault:read only).
"""

import os
import sys
import traceback

from mailgent import Mailgent
from mailgent._errors import MailgentApiError

url = os.environ["CREDVAULT_API_URL"]
client = Mailgent(api_key=os.environ["CREDVAULT_API_KEY"], base_url=url)
vault = client.vault
reader_client = Mailgent(api_key=os.environ["CREDVAULT_READ_KEY"], base_url=url)
reader = reader_client.vault
results = []


def check(name):
    def run(test):
        try:
            test()
            results.append(True)
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            results.append(False)
            print(f"FAIL {name}\n{traceback.format_exc()}")
    return run


def api_error(call):
    try:
        call()
    except MailgentApiError as err:
        return err
    raise AssertionError("expected a MailgentApiError")


@check("store, then get with data")
def _():
    stored = vault.store("sdk-login", type="LOGIN", data={"password": "s3cret!"},
                         metadata={"username": "agent-bot"})
    assert stored.name == "sdk-login" and stored.credential_id.startswith("cred_")
    got = vault.get("sdk-login")
    assert got.data == {"password": "s3cret!"}, got.data
    assert got.metadata == {"username": "agent-bot"}
    assert got.last_used_at is not None


@check("store_api_key, string and client pair")
def _():
    vault.store_api_key("sdk-stripe", "sk_live_abc123", metadata={"service": "stripe"})
    assert vault.get("sdk-stripe").data == {"key": "sk_live_abc123"}
    vault.store_api_key("sdk-oauth-app", {"clientId": "cid", "secret": "shh"})
    got = vault.get("sdk-oauth-app")
    assert got.data == {"clientId": "cid", "secret": "shh"} and got.metadata == {"clientId": "cid"}


@check("list is sorted and holds no data")
def _():
    listed = vault.list()
    names = [c.name for c in listed["credentials"]]
    assert names == sorted(names) and {"sdk-login", "sdk-stripe"} <= set(names), names
    assert listed["count"] == len(names)
    assert all(not hasattr(c, "data") for c in listed["credentials"])


@check("totp and totp_use_backup")
def _():
    vault.store("sdk-2fa", type="TOTP",
                data={"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["bk-1", "bk-2"]})
    code = vault.totp("sdk-2fa")
    assert len(code.code) == 6 and code.code.isdigit() and 1 <= code.remaining <= 30
    assert code.backup_codes_remaining == 2
    used = vault.totp_use_backup("sdk-2fa")
    assert (used.code, used.remaining) == ("bk-1", 1)
    assert vault.get("sdk-2fa").data["secret"] == "[use /v0/vault/:name/totp]"


@check("delete, then 404 not_found")
def _():
    vault.delete("sdk-login")
    err = api_error(lambda: vault.get("sdk-login"))
    assert (err.status, err.code) == (404, "not_found"), err


@check("410 expired")
def _():
    vault.store("sdk-old", type="API_KEY", data={"key": "k"}, expires_at="2020-01-01T00:00:00Z")
    err = api_error(lambda: vault.get("sdk-old"))
    assert (err.status, err.code) == (410, "expired"), err


@check("400 bad_request")
def _():
    err = api_error(lambda: vault.store("sdk-bad", type="TOTP", data={"secret": "not base32!"}))
    assert (err.status, err.code) == (400, "bad_request"), err
    err = api_error(lambda: vault.totp("sdk-stripe"))
    assert (err.status, err.code) == (400, "bad_request") and "TOTP" in str(err), err


@check("401 unauthorized")
def _():
    stranger = Mailgent(api_key="loid-" + "0" * 64, base_url=url).vault
    err = api_error(stranger.list)
    assert (err.status, err.code, str(err)) == (401, "unauthorized", "Invalid API key"), err
    err = api_error(Mailgent(api_key="not-a-key", base_url=url).vault.list)
    assert (err.status, str(err)) == (401, "Invalid API key format"), err


@check("403 forbidden, and another identity sees nothing of ours")
def _():
    assert reader.list() == {"credentials": [], "count": 0}
    err = api_error(lambda: reader.get("sdk-stripe"))
    assert (err.status, err.code) == (404, "not_found"), err
    err = api_error(lambda: reader.store("sdk-nope", type="API_KEY", data={"key": "k"}))
    assert (err.status, err.code) == (403, "forbidden"), err
    assert str(err) == "Missing required scope: vault:write"


@check("whoami: the caller's identity and its key's scopes")
def _():
    me = client.identity.whoami()
    assert me.identity_id.startswith("idt_") and me.purpose == "BUYER" and me.type == "AGENT", me
    assert sorted(me.scopes) == ["vault:read", "vault:write"], me.scopes
    assert me.usage_count > 0 and me.last_used_at is not None and me.created_at.endswith("Z"), me
    assert reader_client.identity.whoami().scopes == ["vault:read"]


@check("logs: newest first, filtered, paged, and never a secret")
def _():
    page = client.logs.list(limit=5)
    logs = page["logs"]
    assert page["count"] == len(logs) == 5 and page["next_page_token"], page
    times = [entry.created_at for entry in logs]
    assert times == sorted(times, reverse=True), times
    assert logs[0].action == "identity_whoami", logs[0]
    nxt = client.logs.list(limit=5, page_token=page["next_page_token"])
    assert not {e.id for e in logs} & {e.id for e in nxt["logs"]}
    stored = client.logs.list(action="vault_store", status="success", limit=100)["logs"]
    assert stored and all(e.action == "vault_store" and e.status == "success" for e in stored)
    assert any(e.target_id == "sdk-login" and e.metadata["httpStatus"] == 200 for e in stored)
    denied = reader_client.logs.list(status="denied")["logs"]
    assert denied and denied[0].metadata["httpStatus"] == 403 and denied[0].category == "auth"
    errors = client.logs.list(status="error", limit=100)["logs"]
    assert {404, 410, 400} <= {e.metadata["httpStatus"] for e in errors}, errors
    text = repr(client.logs.list(limit=100))
    for secret in ("s3cret!", "sk_live_abc123", "shh", "JBSWY3DPEHPK3PXP", "bk-1"):
        assert secret not in text, secret
    for limit in (0, 101):
        err = api_error(lambda: client.logs.list(limit=limit))
        assert (err.status, err.code) == (400, "bad_request"), (limit, err)
    err = api_error(lambda: client.logs.list(category="mail"))
    assert (err.status, err.code) == (400, "bad_request"), err


@check("logs: stats count what the log holds")
def _():
    stats = client.logs.stats()
    assert stats.total >= stats.today > 0 and stats.errors > 0, stats
    assert stats.by_category["vault"] > 0 and stats.by_category["identity"] > 0, stats


passed = sum(results)
print(f"sdk: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
