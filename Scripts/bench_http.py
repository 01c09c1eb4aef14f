#!/usr/bin/env python3
"""Behind Scripts/bench-http: drives a live `cairn serve` with wrk and with 100 Server-Sent-Events followers, runs
the library's figures for the same work (`cairn-bench api-baseline`), and prints both side by side."""
import asyncio
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

cairn, bench, seconds, connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
FOLLOWERS, CYCLES = 100, 100
scratch = tempfile.mkdtemp(prefix="cairn-bench-http-")


def request(address, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(address + path, data=data, headers={"Content-Type": "application/json"}),
                                timeout=30) as response:
        return json.load(response), response.headers


async def follow(host, port, run):
    """One SSE client: reads the run's stream to its `end` event; returns how many progress events it read."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /v1/runs/{run}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    events, text = 0, b""
    while b"event: end\n" not in text:
        chunk = await reader.read(65536)
        if not chunk:
            raise RuntimeError("the stream closed before its end event")
        text = text[-64:] + chunk
        events += chunk.count(b"event: progress\n")
    writer.close()
    return events


async def fan_out(address):
    host, port = re.match(r"http://([\d.]+):(\d+)", address).groups()
    began = time.monotonic()
    run, _ = request(address, "/v1/runs", {"workflow": "feedback-monitor", "input": {"sku": "Apple", "cycles": CYCLES, "delayMs": 0, "seed": 7}})
    counts = await asyncio.gather(*(follow(host, int(port), run["runId"]) for _ in range(FOLLOWERS)))
    return time.monotonic() - began, sum(counts)


server = None
try:
    server = subprocess.Popen([cairn, "serve", "--port", "0", "--db", os.path.join(scratch, "http.sqlite")], stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    while line and "cairn: serving " not in line:
        line = server.stderr.readline()
    address = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)

    script = os.path.join(scratch, "start.lua")
    with open(script, "w") as file:
        file.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                   'wrk.body = \'{"workflow": "hello", "input": {"name": "wrk"}}\'\n')
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "-s", script, "--latency", address + "/v1/runs"],
                         capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    refused = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    elapsed = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    p50, p99 = (re.search(rf"^\s+{q}%\s+(\S+)$", out, re.MULTILINE).group(1) for q in (50, 99))
    # Let the server finish driving what it started before the fan-out, so the two figures do not mix.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, headers = request(address, "/v1/runs?status=running&status=pending&limit=1")
        if headers["X-Total-Count"] == "0":
            break
        time.sleep(0.2)  # polling the API for the backlog to drain
    _, headers = request(address, "/v1/runs?status=completed&limit=1")
    completed = int(headers["X-Total-Count"])

    fan_seconds, delivered = asyncio.run(fan_out(address))
    with open(f"/proc/{server.pid}/status") as status:
        rss = int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1)) / 1024
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

    baseline = json.loads(subprocess.run([bench, "api-baseline", str(max(total - refused, connections)), str(connections), str(FOLLOWERS), str(CYCLES)],
                                         capture_output=True, text=True, check=True).stdout)

    print(f"\n{'':44}{'over HTTP':>14}{'library':>14}")
    print(f"{'runs of hello started per second':44}{(total - refused) / elapsed:>14.0f}{baseline['startsPerSecond']:>14.0f}"
          f"   ({connections} concurrent callers; HTTP: {total - refused} started in {elapsed:.1f} s, {refused} refused, "
          f"latency p50 {p50}, p99 {p99}; {completed} completed)")
    print(f"{f'fan-out: {FOLLOWERS} followers of one monitor run, s':44}{fan_seconds:>14.2f}{baseline['fanOutSeconds']:>14.2f}"
          f"   (start to the last follower's end; {CYCLES} cycles)")
    print(f"{'fan-out: events delivered per second':44}{delivered / fan_seconds:>14.0f}{baseline['eventsDelivered'] / baseline['fanOutSeconds']:>14.0f}"
          f"   ({delivered} and {baseline['eventsDelivered']} events)")
    print(f"{'peak RSS, MiB':44}{rss:>14.1f}{baseline['peakRSSMiB']:>14.1f}   (the server; the library's process)")
    if refused:
        sys.exit(f"{refused} starts were refused")
finally:
    if server and server.poll() is None:
        server.kill()
    shutil.rmtree(scratch, ignore_errors=True)
