"""The hosted product's official Python SDK (`mailgent-sdk`) as an orchestrator uses it: a
platform key makes an identity, the identity's key stores and reads through `Mailgent`, then
the platform key rotates that key, narrows its scopes and deletes it, each checked from the
outside.

Run by scripts/e2e.sh against `make dev`'s stack. Reads MAILGENT_PLATFORM_KEY and
MAILGENT_API_URL, as the SDK itself does, and CREDVAULT_API_KEY (an identity key, refused on
the platform routes).
"""

import os
import sys
import traceback

from mailgent import Mailgent, MailgentPlatform
from mailgent._errors import MailgentApiError

url = os.environ["MAILGENT_API_URL"]
platform = MailgentPlatform()  # the key and the URL from the environment
results = []
state = {}


def check(name):
    def run(test):
        try:
            test()
            results.append(True)
            print(f"ok   platform: {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            results.append(False)
            print(f"FAIL platform: {name}\n{traceback.format_exc()}")
    return run


def status_of(call):
    try:
        call()
    except MailgentApiError as err:
        return err.status
    raise AssertionError("expected a MailgentApiError")


@check("create an identity; its key is shown once")
def _():
    made = platform.identities.create(name="e2e-researcher", scopes=["vault:read", "vault:write"])
    assert made.identity_id.startswith("idt_") and made.raw_key.startswith("mgnt-"), made
    assert made.api_key_prefix == made.raw_key[:13] and made.purpose == "BUYER", made
    assert sorted(made.scopes) == ["vault:read", "vault:write"], made.scopes
    state["id"], state["key"] = made.identity_id, made.raw_key


@check("the new identity stores and reads through Mailgent")
def _():
    agent = Mailgent(api_key=state["key"], base_url=url)
    agent.vault.store("e2e-api", type="API_KEY", data={"key": "sk_live_platform"})
    assert agent.vault.get("e2e-api").data == {"key": "sk_live_platform"}
    assert agent.identity.whoami().identity_id == state["id"]


@check("list and get show it, never its key")
def _():
    listed = platform.identities.list(limit=100)
    ids = [i.identity_id for i in listed["identities"]]
    assert state["id"] in ids and listed["count"] == len(ids), listed
    detail = platform.identities.get(state["id"])
    assert detail.name == "e2e-researcher" and detail.api_key_prefix == state["key"][:13], detail


@check("rotate: the new key works, the old one is 401")
def _():
    rotated = platform.identities.rotate_key(state["id"])
    assert rotated.raw_key != state["key"] and rotated.api_key_prefix == rotated.raw_key[:13]
    old = Mailgent(api_key=state["key"], base_url=url)
    assert status_of(lambda: old.vault.list()) == 401
    state["key"] = rotated.raw_key
    assert Mailgent(api_key=state["key"], base_url=url).vault.get("e2e-api").data["key"] == "sk_live_platform"


@check("update scopes: a read-only identity can no longer write")
def _():
    updated = platform.identities.update(state["id"], name="e2e-reader", remove_scopes=["vault:write"])
    assert updated == {"identityId": state["id"], "name": "e2e-reader", "scopes": ["vault:read"]}, updated
    agent = Mailgent(api_key=state["key"], base_url=url)
    assert status_of(lambda: agent.vault.store("x", type="API_KEY", data={"key": "k"})) == 403
    assert agent.vault.get("e2e-api").data["key"] == "sk_live_platform"


@check("an identity key is refused on the platform routes")
def _():
    as_identity = MailgentPlatform(api_key=os.environ["CREDVAULT_API_KEY"], base_url=url)
    assert status_of(lambda: as_identity.identities.list()) == 403


@check("delete: the key is 401, the identity 404, nothing of its vault is left")
def _():
    platform.identities.delete(state["id"])
    agent = Mailgent(api_key=state["key"], base_url=url)
    assert status_of(lambda: agent.vault.get("e2e-api")) == 401
    assert status_of(lambda: platform.identities.get(state["id"])) == 404
    ids = [i.identity_id for i in platform.identities.list(limit=100)["identities"]]
    assert state["id"] not in ids


passed = sum(results)
print(f"platform: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if results and all(results) else 1)
