#!/usr/bin/env python3
"""A stand-in browser for sign-in tests that need no Chromium: it loads the consent page,
submits Approve or Deny (FAKE_BROWSER_ACTION=approve|deny|tamper-state), follows the redirect
to the loopback callback and writes that page's text to FAKE_BROWSER_LOG when set.

Usage (as BROWSER): fake_browser.py URL
"""

import html.parser
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(opener, url, data=None):
    try:
        with opener.open(url, data=data, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def main():
    url = sys.argv[1]
    action = os.environ.get("FAKE_BROWSER_ACTION", "approve")
    log = os.environ.get("FAKE_BROWSER_LOG")
    opener = urllib.request.build_opener(NoRedirect)
    status, _, page = fetch(opener, url)
    request = re.search(r'name="request" value="([^"]+)"', page)
    if status != 200 or not request:
        out = f"consent page missing ({status}): {page[:300]}"
    else:
        decision = "deny" if action == "deny" else "approve"
        origin = urllib.parse.urlsplit(url)
        form = urllib.parse.urlencode({"request": html.unescape(request.group(1)), "decision": decision})
        status, headers, _ = fetch(opener, f"{origin.scheme}://{origin.netloc}/oauth/authorize", form.encode())
        callback = headers.get("Location") or headers.get("location")
        if action == "tamper-state":
            callback = re.sub(r"state=[^&]+", "state=forged", callback)
        status, _, page = fetch(opener, callback)
        text = re.sub(r"<[^>]+>", " ", page)
        out = f"{status} {' '.join(text.split())}"
    if log:
        with open(log, "w") as f:
            f.write(out)


if __name__ == "__main__":
    main()
