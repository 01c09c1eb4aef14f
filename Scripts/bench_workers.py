#!/usr/bin/env python3
"""Behind Scripts/bench-workers: queue RUNS runs (cairn run --detach), start N workers, time until every run has
completed; steps/s from the journal's own count of committed executions. Prints one table."""
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

cairn, runs = sys.argv[1], int(sys.argv[2])
admin = os.environ["CAIRN_TEST_POSTGRES"]
server = urllib.parse.urlparse(admin)
scratch = tempfile.mkdtemp(prefix="cairn-bench-workers-")
WORKLOADS = {
    "I/O-bound (10 ms per feedback step)": ("feedback-monitor", 10, 15),
    "CPU-bound (no wait)": ("feedback-monitor", 0, 30),
}


def psql(target, query):
    return subprocess.run(["psql", target, "-XAtqc", query], capture_output=True, text=True, check=True).stdout.strip()


class Session:
    """One long-lived client (psql or sqlite3) answering a query per line: polling by starting a client per look cost
    a third of a core here (Debian's psql is a Perl wrapper) and a server backend per connection, taken from what is
    measured."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def __call__(self, query):
        self.process.stdin.write(query.rstrip(";") + ";\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def cpu_seconds(pids=None, name=None):
    """User + system CPU seconds of the processes `pids`, or of every process called `name` (the server's backends)."""
    ticks = 0
    for pid in pids if pids is not None else [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if name is not None and open(f"/proc/{pid}/comm").read().strip() != name:
                continue
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass  # gone meanwhile
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(db, env, workflow, delay, cycles, workers, count_sql):
    """Steps/s, and the CPU cores the workers and the server's backends kept busy meanwhile."""
    for index in range(runs):
        payload = json.dumps({"sku": f"SKU-{index % 5}", "cycles": cycles, "delayMs": delay, "seed": index + 1})
        subprocess.run([cairn, "run", workflow, "--detach", "--db", db, "--input", payload], env=env, check=True, capture_output=True)
    server_before = cpu_seconds(name="postgres")
    began = time.monotonic()
    processes = [subprocess.Popen([cairn, "worker", "--db", db, "--concurrency", "16", "--poll", "0.2"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    while count_sql("SELECT count(*) FROM run WHERE status <> 'completed'") != "0":
        time.sleep(0.05)  # polling the journal for the drained queue
    elapsed = time.monotonic() - began
    busy = cpu_seconds(pids=[str(process.pid) for process in processes]) + cpu_seconds(name="postgres") - server_before
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
    steps = int(count_sql("SELECT count(*) FROM journal WHERE kind = 'execution_finished'"))
    return steps / elapsed, busy / elapsed


def postgres(workflow, delay, cycles, workers):
    database = f"bench_{random.randrange(1 << 30)}"
    psql(admin, f"CREATE DATABASE {database}")
    target = admin.replace(server.path, "/" + database)
    url = f"postgres://{server.username}@{server.hostname}:{server.port}/{database}"
    try:
        session = Session(["psql", target, "-XAtq"])
        try:
            return measure(url, dict(os.environ, PGPASSWORD=server.password or ""), workflow, delay, cycles, workers, session)
        finally:
            session.close()
    finally:
        psql(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def sqlite(workflow, delay, cycles, workers):
    path = os.path.join(scratch, f"bench-{random.randrange(1 << 30)}.sqlite")
    subprocess.run([cairn, "db", "migrate", "--db", path], check=True, capture_output=True)
    session = Session(["sqlite3", "-cmd", ".timeout 5000", path])
    try:
        return measure(path, dict(os.environ), workflow, delay, cycles, workers, session)
    finally:
        session.close()


def pgbench():
    database = f"pgbench_{random.randrange(1 << 30)}"
    psql(admin, f"CREATE DATABASE {database}")
    target = admin.replace(server.path, "/" + database)
    try:
        subprocess.run(["pgbench", "-i", "-q", "-s", "4", target], capture_output=True, check=True)
        out = subprocess.run(["pgbench", "-c", "8", "-j", "2", "-T", "10", target], capture_output=True, text=True, check=True).stdout
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    finally:
        psql(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


print(f"{runs} queued runs per measurement, each worker 16 runs at a time; steps/s = committed step executions / wall time;")
print(f"cores = CPU seconds of the workers and the server's backends / wall time, of the {os.cpu_count()} this machine has\n")
print(f"{'workload':38}{'PG 1 worker':>13}{'PG 2':>10}{'PG 4':>10}{'4 vs 1':>8}{'SQLite 1':>10}")
results = {}
for name, (workflow, delay, cycles) in WORKLOADS.items():
    cells = [postgres(workflow, delay, cycles, workers) for workers in (1, 2, 4)]
    on_file = sqlite(workflow, delay, cycles, 1)
    figures = [rate for rate, _ in cells]
    results[name] = figures
    print(f"{name:38}{figures[0]:>13.0f}{figures[1]:>10.0f}{figures[2]:>10.0f}{figures[2] / figures[0]:>7.2f}×{on_file[0]:>10.0f}")
    print(f"{'  cores busy':38}{cells[0][1]:>13.2f}{cells[1][1]:>10.2f}{cells[2][1]:>10.2f}{'':>8}{on_file[1]:>10.2f}")
tps = pgbench()
best = max(results["CPU-bound (no wait)"])
print(f"\npgbench (TPC-B-like, 8 clients, 10 s) on the same server: {tps:.0f} transactions/s; "
      f"CPU-bound steps/s at best {best:.0f} = {100 * best / tps:.0f} % of it (goal ≥ 30 %)")
