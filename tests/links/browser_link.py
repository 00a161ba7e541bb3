"""Request links in a real browser: an agent asks for a secret, a person types it on the page.

Run by scripts/e2e-links.sh against `make dev`. Env: CREDVAULT_API_URL, CREDVAULT_API_KEY
(vault:read + vault:write), SCREENSHOT_DIR. Drives Debian's headless Chromium with Selenium
(scripts/browser.sh installs it); headers and statuses, which Selenium cannot see, are read
with plain HTTP (link_http.py).
"""

import base64
import os
import secrets
import shutil
import sys
import tempfile
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from link_http import api, field_inputs, header_problems, http, scrape, submit, wrong_token

BASE = os.environ["CREDVAULT_API_URL"].rstrip("/")
KEY = os.environ["CREDVAULT_API_KEY"]
SHOTS = os.environ["SCREENSHOT_DIR"]
DESKTOP, PHONE = (1280, 900), (390, 844)
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} link: {name}{'' if ok else ': ' + str(detail)[:800]}", flush=True)


def call(method, path, payload=None):
    return api(BASE, KEY, method, path, payload)


def page_check(name, answer, status, element_id):
    """A page fetched with urllib: its status, the element that says what it is (if the spec
    names one), the headers every page carries."""
    got, headers, html = answer
    ids = scrape(html).ids
    problems = header_problems(headers)
    check(name, got == status and (element_id is None or element_id in ids) and not problems,
          f"status {got}, ids {sorted(ids)}, {problems}")


def log_entries():
    status, page, text = call("GET", "/v0/logs?limit=100")
    assert status == 200, text
    return page["logs"]


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        # Loopback only: no proxy, no background calls home, no name resolves but the stack's.
        "--no-proxy-server", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--no-default-browser-check",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ):
        options.add_argument(argument)
    # A given driver path means Selenium Manager (which would download one) never runs.
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def screenshot(driver, name):
    path = os.path.join(SHOTS, name)
    driver.save_screenshot(path)
    check(f"screenshot {name}", os.path.getsize(path) > 1000, path)


def wait_for_page(driver):
    """After a submit: waits until the answer's page (done, error or notice) is there."""
    WebDriverWait(driver, 60).until(
        lambda d: any(d.find_elements(By.ID, i) for i in ("done", "error", "notice")))


def stripe_link(driver):
    """The whole life of one link: asked, opened (twice, changing nothing), filled, used,
    then refused for good."""
    secret = f"sk_live_{secrets.token_hex(16)}"
    account = f"acct_{secrets.token_hex(6)}"
    message = f"Please paste the Stripe restricted key for the billing agent ({secrets.token_hex(4)})"
    _, me, _ = call("GET", "/v0/whoami")
    status, made, text = call("POST", "/v0/credential-requests", {
        "name": "browser-stripe", "type": "API_KEY",
        "fields": [{"name": "key", "label": "API key", "secret": True},
                   {"name": "account", "label": "Account", "secret": False}],
        "message": message, "usePolicy": {"hosts": ["api.stripe.com"]},
        "metadata": {"service": "stripe"}, "expiresIn": 3600,
    })
    check("POST /v0/credential-requests: 201, pending, a link to this stack",
          status == 201 and made["requestId"].startswith("creq_") and made["status"] == "pending"
          and made["url"].startswith(f"{BASE}/v0/links/"), text)
    if status != 201:
        return
    url, request_id = made["url"], made["requestId"]
    token = url.rsplit("/", 1)[1]
    status, view, first_status_text = call("GET", f"/v0/credential-requests/{request_id}")
    check("status: pending, no credential, never the link",
          status == 200 and view["status"] == "pending" and view["credentialId"] is None
          and token not in first_status_text and "url" not in view, first_status_text)

    before = {e["id"] for e in log_entries()}
    # First open, at a desktop's width: what the person is shown.
    driver.set_window_size(*DESKTOP)
    driver.get(url)
    shown = driver.find_element(By.TAG_NAME, "body").text
    wanted = [me["name"], me["identityId"], "browser-stripe", "API_KEY", message, "API key", "Account"]
    check("the page shows who asks, for what, and why",
          all(w in shown for w in wanted), [w for w in wanted if w not in shown])
    inputs = [driver.find_element(By.ID, f"v{i}") for i in range(2)]
    check("one input per field, the secret one masked",
          [i.get_attribute("type") for i in inputs] == ["password", "text"]
          and [i.get_attribute("name") for i in inputs] == ["v0", "v1"])
    labels = {label.get_attribute("for"): label.text for label in driver.find_elements(By.TAG_NAME, "label")}
    check("each input has its label",
          "API key" in labels.get("v0", "") and "Account" in labels.get("v1", ""), labels)
    proof = driver.find_element(By.NAME, "proof")
    form = driver.find_element(By.TAG_NAME, "form")
    check("a hidden proof, a post form to the same URL, a save button",
          proof.get_attribute("type") == "hidden" and proof.get_attribute("value")
          and form.get_attribute("method") == "post" and form.get_attribute("action") == url
          and driver.find_element(By.ID, "save").get_attribute("type") == "submit")
    page_check("the form page's status and headers", http("GET", url), 200, "save")

    # Second open, at a phone's width: the layout fits.
    driver.set_window_size(*PHONE)
    driver.get(url)
    widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(f"no horizontal scroll at {PHONE[0]}px", widths[0] <= widths[1], widths)
    screenshot(driver, "request-link-phone.png")

    new = [e for e in log_entries() if e["id"] not in before]
    check("opening the link wrote no log entry", all(e["action"] == "logs_list" for e in new),
          [e["action"] for e in new])
    status, view, text = call("GET", f"/v0/credential-requests/{request_id}")
    check("opening the link left it pending", status == 200 and view["status"] == "pending", text)
    status, _, text = call("GET", "/v0/vault/browser-stripe")
    check("opening the link stored nothing (404)", status == 404, text)

    # Fill in, masked on screen, then save.
    driver.set_window_size(*DESKTOP)
    submitted_proof = driver.find_element(By.NAME, "proof").get_attribute("value")
    driver.find_element(By.ID, "v0").send_keys(secret)
    driver.find_element(By.ID, "v1").send_keys(account)
    check("the typed secret stays masked", driver.find_element(By.ID, "v0").get_attribute("type") == "password")
    screenshot(driver, "request-link.png")
    driver.find_element(By.ID, "save").click()
    wait_for_page(driver)
    seen_after = [driver.page_source]
    check("saving shows the done page", driver.find_elements(By.ID, "done"), driver.page_source[:600])
    screenshot(driver, "request-link-done.png")

    status, view, status_text = call("GET", f"/v0/credential-requests/{request_id}")
    check("status: fulfilled, with the credential's id",
          status == 200 and view["status"] == "fulfilled" and view["fulfilledAt"]
          and (view["credentialId"] or "").startswith("cred_"), status_text)
    status, stored, text = call("GET", "/v0/vault/browser-stripe")
    check("the agent reads back what was typed, as a PUT would store it",
          status == 200 and stored["credentialId"] == view["credentialId"] and stored["type"] == "API_KEY"
          and stored["data"] == {"key": secret}
          and stored["metadata"] == {"service": "stripe", "account": account}
          and stored.get("usePolicy", {}).get("hosts") == ["api.stripe.com"],
          text.replace(secret, "<typed>"))
    entries = log_entries()
    check("the log records a vault_store by the link",
          any(e["action"] == "vault_store" and e["targetId"] == "browser-stripe"
              and e["metadata"]["channel"] == "link" and e["status"] == "success" for e in entries),
          [(e["action"], e["targetId"], e["metadata"].get("channel")) for e in entries[:8]])

    # Used: the page says so, a replayed form is refused, the credential stays as it was.
    answer = http("GET", url)
    seen_after.append(answer[2])
    page_check("a used link is 410", answer, 410, "notice")
    driver.get(url)
    seen_after.append(driver.page_source)
    notice = driver.find_elements(By.ID, "notice")
    check("the browser is told the link was used",
          notice and any(w in notice[0].text.lower() for w in ("used", "fulfilled")),
          notice[0].text if notice else driver.page_source[:600])
    replay = submit(url, {"proof": submitted_proof, "v0": f"sk_live_{secrets.token_hex(16)}", "v1": "acct_other"})
    seen_after.append(replay[2])
    page_check("a replayed form is refused (410)", replay, 410, "notice")
    status, again, _ = call("GET", "/v0/vault/browser-stripe")
    check("the replay changed nothing", status == 200 and all(
        again[k] == stored[k] for k in ("credentialId", "data", "metadata", "createdAt")))

    answer = http("GET", wrong_token(url))
    seen_after.append(answer[2])
    page_check("a wrong token is 404", answer, 404, "notice")
    status, refused, text = call("DELETE", f"/v0/credential-requests/{request_id}")
    check("a fulfilled request cannot be cancelled (400)",
          status == 400 and refused["error"] == "bad_request", text)
    status, _, text = call("GET", f"/v0/credential-requests/{request_id}")
    leaks = [i for i, page in enumerate(seen_after) if secret in page]
    check("the typed secret is in no page after the submit, nor in the status",
          not leaks and secret not in text and secret not in status_text, leaks)


def totp_link(driver):
    """Refused submits do not spend a link: empty, invalid, forged, cross-site; then it works."""
    status, made, text = call("POST", "/v0/credential-requests", {
        "name": "browser-totp", "type": "TOTP", "fields": [{"name": "secret", "label": "Setup key"}],
        "message": "The GitHub 2FA setup key, please",
    })
    check("a second request (TOTP)", status == 201, text)
    if status != 201:
        return
    url, request_id = made["url"], made["requestId"]

    driver.get(url)
    # The page may mark the input `required`: the browser would then not send an empty form,
    # and the server's answer to one is what this checks.
    driver.execute_script("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    driver.find_element(By.ID, "save").click()
    wait_for_page(driver)
    check("a value-less submit shows the error and the form again",
          driver.find_elements(By.ID, "error") and driver.find_element(By.ID, "v0").get_attribute("value") == "",
          driver.page_source[:600])
    invalid = f"not!base32!{secrets.token_hex(4)}"
    page = scrape(http("GET", url)[2])
    proof = page.inputs.get("proof", {}).get("value", "")
    check("the page's one field is v0", field_inputs(page) == ["v0"], list(page.inputs))
    empty = submit(url, {"proof": proof, "v0": ""})
    page_check("a value-less submit is 400", empty, 400, "error")
    refused = submit(url, {"proof": proof, "v0": invalid})
    page_check("a value a PUT refuses is 400", refused, 400, "error")
    check("the refused value is not shown back", invalid not in refused[2])
    good = "JBSWY3DPEHPK3PXP"
    page_check("no proof is 403", submit(url, {"v0": good}), 403, None)
    page_check("a forged proof is 403", submit(url, {"proof": proof[:-4] + "AAAA", "v0": good}), 403, None)
    page_check("a cross-site post is 403", submit(url, {"proof": proof, "v0": good}, "cross-site"), 403, None)
    status, view, text = call("GET", f"/v0/credential-requests/{request_id}")
    check("refused submits leave the link pending", status == 200 and view["status"] == "pending", text)
    status, _, text = call("GET", "/v0/vault/browser-totp")
    check("refused submits store nothing", status == 404, text)

    # The form the error page showed again still works.
    value = base64.b32encode(secrets.token_bytes(10)).decode()
    driver.find_element(By.ID, "v0").send_keys(value)
    driver.find_element(By.ID, "save").click()
    wait_for_page(driver)
    check("after the refusals, a good value is saved", driver.find_elements(By.ID, "done"),
          driver.page_source[:600])
    # A read masks a TOTP seed; the code the vault makes from it shows it was stored.
    status, stored, _ = call("GET", "/v0/vault/browser-totp")
    code_status, code, _ = call("GET", "/v0/vault/browser-totp/totp")
    check("the TOTP seed is stored (masked on read, a code from it)",
          status == 200 and stored["data"]["secret"] != value and code_status == 200
          and len((code or {}).get("code", "")) == 6, (status, code_status))
    status, view, text = call("GET", f"/v0/credential-requests/{request_id}")
    check("and the request is fulfilled", status == 200 and view["status"] == "fulfilled", text)


def cancelled_link(driver):
    """An agent takes back its request: the link then opens nothing, and says why."""
    status, made, text = call("POST", "/v0/credential-requests", {
        "name": "browser-cancelled", "type": "API_KEY", "fields": [{"name": "key"}]})
    check("a third request, to cancel", status == 201, text)
    if status != 201:
        return
    path = f"/v0/credential-requests/{made['requestId']}"
    status, view, text = call("DELETE", path)
    check("DELETE cancels it", status == 200 and view["status"] == "cancelled", text)
    status, view, text = call("DELETE", path)
    check("cancelling again is 200", status == 200 and view["status"] == "cancelled", text)
    page_check("a cancelled link is 410", http("GET", made["url"]), 410, "notice")
    driver.get(made["url"])
    notice = driver.find_elements(By.ID, "notice")
    check("the browser is told the link was cancelled", notice and "cancel" in notice[0].text.lower(),
          driver.page_source[:600])


def main():
    os.makedirs(SHOTS, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="credvault-chromium-")
    driver = None
    try:
        driver = browser(profile)
        check("headless Chromium starts", True)
        for phase in (stripe_link, totp_link, cancelled_link):
            try:
                phase(driver)
            except Exception:  # noqa: BLE001 - reported, counted, and the next phase still runs
                check(f"{phase.__name__} runs to its end", False, traceback.format_exc())
    except Exception:  # noqa: BLE001
        check("headless Chromium starts", False, traceback.format_exc())
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    passed = sum(results)
    print(f"link: {passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
