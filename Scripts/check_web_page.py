#!/usr/bin/env python3
"""The web page in a real browser (behind Scripts/check-web-page.sh): a live `cairn serve` with a token on
loopback, a run that waits for approval, and Debian's Chromium, headless, driven over the DevTools protocol —
load the run's page, see the open wait, submit its form, see the run complete on the page, see it in the runs
list, open the SKU's audit view from the list and see the decision and who approved it; screenshots are kept
under .build/. Exits 1, saying what was not seen, otherwise."""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.sync.client import connect

cairn, screenshot = sys.argv[1], sys.argv[2]
scratch = tempfile.mkdtemp(prefix="cairn-web-")
token = "web-" + os.urandom(6).hex()
processes = []


def fail(what):
    print(f"FAILED: {what}")
    sys.exit(1)


def api(address, path, body=None):
    request = urllib.request.Request(address + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def until(what, check, limit=30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)  # polling the page or the API for what it should show
    fail(f"within {limit} s: {what}")


class Tab:
    """One page of the browser, over its DevTools websocket."""

    def __init__(self, socket):
        self.socket, self.next = socket, 0

    # What Runtime.evaluate answers when the page navigates while it runs: a form's submit that loads the next page,
    # or a look at a page that is being replaced. Not a failure: the caller polls again, or meant to navigate.
    NAVIGATED = "Inspected target navigated or closed"

    def call(self, method, tolerate=None, **params):
        self.next += 1
        self.socket.send(json.dumps({"id": self.next, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.next:
                if "error" in message:
                    if tolerate and tolerate in message["error"].get("message", ""):
                        return {}
                    fail(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        """The expression's value; None when the page navigated while it ran."""
        result = self.call("Runtime.evaluate", tolerate=self.NAVIGATED, expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")


try:
    server = subprocess.Popen([cairn, "serve", "--port", "0", "--token", token, "--db", os.path.join(scratch, "web.sqlite")],
                              stderr=subprocess.PIPE, text=True)
    processes.append(server)
    line = server.stderr.readline()
    while line and "cairn: serving " not in line:
        line = server.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", line or "")
    if not found:
        fail(f"the server did not start: {line}")
    address = found.group(0)

    run = api(address, "/v1/runs", {"workflow": "feedback-monitor",
                                    "input": {"sku": "Apple", "cycles": 1, "delayMs": 0, "seed": 7, "approveOver": 5}})["runId"]
    until("the run waits for approval", lambda: api(address, f"/v1/runs/{run}")["status"] == "waiting")

    profile = os.path.join(scratch, "profile")
    browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                                f"--user-data-dir={profile}", "--window-size=1200,900", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(browser)
    port = until("the browser's DevTools port", lambda: os.path.exists(os.path.join(profile, "DevToolsActivePort"))
                 and open(os.path.join(profile, "DevToolsActivePort")).read().split("\n")[0])
    targets = until("a page target", lambda: [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
                                               if t.get("type") == "page"])
    with connect(targets[0]["webSocketDebuggerUrl"], max_size=50 * 2**20) as socket:
        tab = Tab(socket)
        tab.call("Page.enable")
        tab.call("Page.navigate", url=f"{address}/runs/{run}?token={token}")

        form = 'document.querySelector(\'form.wait[data-event="inventory.approval"]\')'
        until("the run's page shows the open wait with its form", lambda: tab.evaluate(f"{form} !== null"))
        status = "document.querySelector('#status [data-status]')?.dataset.status"
        if tab.evaluate(status) != "waiting":
            fail(f"the page says the run is {tab.evaluate(status)}, not waiting")
        tab.evaluate(f"""(() => {{ const form = {form};
            form.querySelector('textarea').value = '{{"approved": true, "by": "browser"}}'; form.requestSubmit(); }})()""")
        until("the page shows the run completed, live", lambda: tab.evaluate(status) == "completed")
        if not tab.evaluate("document.querySelector('#drawing svg g.node.step') !== null"):
            fail("the run's page does not draw the path it took")
        progress = tab.evaluate("document.querySelector('#progress').textContent")
        if "approved by browser" not in (progress or ""):
            fail(f"the page's progress does not say who approved: {progress}")
        shot = tab.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(screenshot), exist_ok=True)
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(shot["data"]))

        tab.call("Page.navigate", url=f"{address}/?token={token}")
        until("the runs list shows the run completed",
              lambda: tab.evaluate(f"document.querySelector('#runs a[href=\"/runs/{run}\"]')?.closest('tr')?.querySelector('[data-status]')?.dataset.status")
              == "completed")
        if api(address, f"/v1/runs/{run}")["status"] != "completed":
            fail("the API does not say the run completed")

        # The audit view of the SKU, opened with the list page's form: the decision, who approved it, the stock.
        tab.evaluate("""(() => { const form = document.querySelector('form.audit');
            form.querySelector('input').value = 'Apple'; form.requestSubmit(); })()""")
        decision = until("the audit view shows the decision", lambda: tab.evaluate(
            "document.querySelector('#decisions tr:nth-child(2)')?.textContent"))
        if "order" not in decision or "approved by browser" not in decision or run[:8] not in decision:
            fail(f"the audit view's decision does not say order, approved by browser, run {run[:8]}: {decision}")
        ledger = api(address, "/v1/inventory/ledger?sku=Apple")
        stock = tab.evaluate("document.querySelector('#stock').textContent")
        if stock != f"stock: {ledger['stock'][0]['quantity']}":
            fail(f"the audit view's stock ({stock}) is not the ledger's ({ledger['stock']})")
        shot = tab.call("Page.captureScreenshot", format="png")
        with open(screenshot.replace(".png", "-audit.png"), "wb") as file:
            file.write(base64.b64decode(shot["data"]))

        # A page following a run that waits holds an event stream open: SIGTERM still stops the server, exit 0.
        waiting = api(address, "/v1/runs", {"workflow": "feedback-monitor",
                                            "input": {"sku": "Apple", "cycles": 1, "delayMs": 0, "seed": 7, "approveOver": 5}})["runId"]
        until("the second run waits", lambda: api(address, f"/v1/runs/{waiting}")["status"] == "waiting")
        tab.call("Page.navigate", url=f"{address}/runs/{waiting}?token={token}")
        until("its page shows its wait", lambda: tab.evaluate(f"{form} !== null"))
        server.send_signal(signal.SIGTERM)
        try:
            stopped = server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            fail("the server did not stop within 20 s of SIGTERM with an event stream open")
        if stopped != 0:
            fail(f"the server exited {stopped} on SIGTERM")
        checked = subprocess.run([cairn, "list", "--db", os.path.join(scratch, "web.sqlite"), "--json"], capture_output=True, text=True)
        statuses = {r["runId"]: r["status"] for r in json.loads(checked.stdout)}
        if statuses.get(waiting) != "waiting":
            fail(f"the run the server was driving is {statuses.get(waiting)}, not waiting (resumable) after the shutdown")
        print(f"ok: the run's page showed its wait, its form answered it, the run completed live; the audit view showed the decision; with a stream open, SIGTERM "
              f"stopped the server (exit 0); screenshot {screenshot} ({os.path.getsize(screenshot)} bytes)")
finally:
    for process in reversed(processes):
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    shutil.rmtree(scratch, ignore_errors=True)
