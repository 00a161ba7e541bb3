"""Plain HTTP for the request-link tests (tests/links/): the API with a key, the link's page
as a browser would fetch and post it, and what every page must carry. Standard library only.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

# No proxy, whatever the environment says: every request here goes to the loopback stack.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# The spec's headers on every page: (header, a token its value must hold).
PAGE_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("Content-Security-Policy", "form-action 'self'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Robots-Tag", "noindex"),
    ("Content-Type", "text/html"),
]


def http(method, url, body=None, headers=None):
    """(status, headers, text), for any status: a 4xx is an answer here, not an error."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read().decode()


def api(base, key, method, path, payload=None):
    """(status, parsed JSON or None, text) of an API call with a Bearer key."""
    headers = {"Authorization": f"Bearer {key}"}
    body = None
    if payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    status, _, text = http(method, base + path, body, headers)
    try:
        return status, json.loads(text), text
    except ValueError:
        return status, None, text


def origin(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def submit(url, form, site="same-origin"):
    """POSTs the form as a browser on the page would (form-urlencoded, Sec-Fetch-Site,
    Origin). `site="cross-site"` plays a form on another site posting to the link."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": site,
               "Origin": origin(url) if site == "same-origin" else "https://elsewhere.invalid"}
    return http("POST", url, urllib.parse.urlencode(form).encode(), headers)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs = {}  # name -> attributes
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "input" and attributes.get("name"):
            self.inputs[attributes["name"]] = attributes


def scrape(html):
    """The page's inputs (name -> attributes) and element ids."""
    page = _Page()
    page.feed(html)
    page.close()
    return page


def field_inputs(page):
    """The value inputs (`v0`, `v1`, ...) in order."""
    names = [n for n in page.inputs if n.startswith("v") and n[1:].isdigit()]
    return sorted(names, key=lambda n: int(n[1:]))


def header_problems(headers):
    """What the page's headers lack of the spec's list; empty when all is there."""
    problems = []
    for name, token in PAGE_HEADERS:
        value = headers.get(name) or ""
        if token.lower() not in value.lower():
            problems.append(f"{name}: {value!r} lacks {token!r}")
    return problems


def wrong_token(url):
    """The link with its last character changed to one that still parses (base64url, or hex
    if the token is hex) but changes a bit that counts: the top bit of that character."""
    base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    hexdigits = "0123456789abcdef"
    token = url.rsplit("/", 1)[1]
    last = url[-1]
    if all(c in hexdigits for c in token):
        swapped = hexdigits[hexdigits.index(last) ^ 8]
    elif last in base64url:
        # The last of 43 characters carries 4 bits then 2 unused: flipping a low bit could
        # leave the decoded secret as it was.
        swapped = base64url[base64url.index(last) ^ 32]
    else:
        swapped = "A" if last != "A" else "B"
    return url[:-1] + swapped
