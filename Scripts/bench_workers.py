#!/usr/bin/env python3
"""Behind Scripts/bench-workers: for each workload, queue RUNS runs, start N workers, wait until every run has
completed. steps/s = committed steps / the time from the first step's start to the last step's end, as the journal
records them (so a worker's start-up, Python's imports for DBOS, is not counted against it); cores = CPU seconds of
the workers and the server's backends / wall time. Cairn on PostgreSQL (1, 2, 4 workers), Cairn on SQLite (1), and
DBOS Transact on the same server (1, 2, 4 workers) when DBOS_PYTHON names a Python that has it. Prints one table."""
import atexit
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

cairn, runs = sys.argv[1], int(sys.argv[2])
dbos_python = os.environ.get("DBOS_PYTHON")
admin = os.environ["CAIRN_TEST_POSTGRES"]
server = urllib.parse.urlparse(admin)
scratch = tempfile.mkdtemp(prefix="cairn-bench-workers-")
atexit.register(shutil.rmtree, scratch, True)
here = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = {
    "I/O-bound (10 ms per feedback step)": (10, 15),
    "CPU-bound (no wait)": (0, 30),
}
# Each measurement's window, from its own records: the first step's start to the last step's end, in seconds.
CAIRN_WINDOW_PG = """SELECT extract(epoch FROM max(at) FILTER (WHERE kind = 'execution_finished')
                                             - min(at) FILTER (WHERE kind = 'execution_started')) FROM journal"""
CAIRN_WINDOW_SQLITE = """SELECT (julianday(max(CASE WHEN kind = 'execution_finished' THEN at END))
                                 - julianday(min(CASE WHEN kind = 'execution_started' THEN at END))) * 86400 FROM journal"""


def psql(target, query):
    return subprocess.run(["psql", target, "-XAtqc", query], capture_output=True, text=True, check=True).stdout.strip()


class Session:
    """One long-lived client (psql or sqlite3) answering a query per line: polling by starting a client per look cost
    a third of a core here (Debian's psql is a Perl wrapper) and a server backend per connection, taken from what is
    measured."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def __call__(self, query):
        self.process.stdin.write(" ".join(query.split()).rstrip(";") + ";\n")
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


def drain(start_workers, query, left_sql, steps_sql, window_sql):
    """Starts the workers on the queued runs, waits until none is left, stops them: (steps/s, cores busy)."""
    server_before = cpu_seconds(name="postgres")
    began = time.monotonic()
    processes = start_workers()
    while query(left_sql) != "0":
        time.sleep(0.05)  # polling the journal for the drained queue
    elapsed = time.monotonic() - began
    busy = cpu_seconds(pids=[str(process.pid) for process in processes]) + cpu_seconds(name="postgres") - server_before
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)
    return int(query(steps_sql)) / float(query(window_sql)), busy / elapsed


def fresh_database(body):
    database = f"bench_{random.randrange(1 << 30)}"
    psql(admin, f"CREATE DATABASE {database}")
    session = Session(["psql", admin.replace(server.path, "/" + database), "-XAtq"])
    try:
        return body(database, session)
    finally:
        session.close()
        psql(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def cairn_workers(db, env, delay, cycles, workers, query, window_sql):
    for index in range(runs):
        payload = json.dumps({"sku": f"SKU-{index % 5}", "cycles": cycles, "delayMs": delay, "seed": index + 1})
        subprocess.run([cairn, "run", "feedback-monitor", "--detach", "--db", db, "--input", payload], env=env, check=True, capture_output=True)
    start = lambda: [subprocess.Popen([cairn, "worker", "--db", db, "--concurrency", "16", "--poll", "0.2"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    return drain(start, query, "SELECT count(*) FROM run WHERE status <> 'completed'",
                 "SELECT count(*) FROM journal WHERE kind = 'execution_finished'", window_sql)


def cairn_postgres(delay, cycles, workers):
    def body(database, session):
        url = f"postgres://{server.username}@{server.hostname}:{server.port}/{database}"
        env = dict(os.environ, PGPASSWORD=server.password or "")
        return cairn_workers(url, env, delay, cycles, workers, session, CAIRN_WINDOW_PG)
    return fresh_database(body)


def cairn_sqlite(delay, cycles, workers):
    path = os.path.join(scratch, f"bench-{random.randrange(1 << 30)}.sqlite")
    subprocess.run([cairn, "db", "migrate", "--db", path], check=True, capture_output=True)
    session = Session(["sqlite3", "-cmd", ".timeout 5000", path])
    try:
        return cairn_workers(path, dict(os.environ), delay, cycles, workers, session, CAIRN_WINDOW_SQLITE)
    finally:
        session.close()


def dbos(delay, cycles, workers):
    def body(database, session):
        url = f"postgresql+psycopg://{server.username}:{server.password}@{server.hostname}:{server.port}/{database}"
        script = os.path.join(here, "bench_dbos.py")
        subprocess.run([dbos_python, script, "setup", url], check=True, capture_output=True)
        subprocess.run([dbos_python, script, "enqueue", url, str(runs), str(delay), str(cycles)], check=True, capture_output=True)
        start = lambda: [subprocess.Popen([dbos_python, script, "worker", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for _ in range(workers)]
        return drain(start, session, "SELECT count(*) FROM dbos.workflow_status WHERE status <> 'SUCCESS'",
                     "SELECT count(*) FROM dbos.operation_outputs",
                     "SELECT (max(completed_at_epoch_ms) - min(started_at_epoch_ms)) / 1000.0 FROM dbos.operation_outputs")
    return fresh_database(body)


def pgbench():
    def body(database, _):
        target = admin.replace(server.path, "/" + database)
        subprocess.run(["pgbench", "-i", "-q", "-s", "4", target], capture_output=True, check=True)
        out = subprocess.run(["pgbench", "-c", "8", "-j", "2", "-T", "10", target], capture_output=True, text=True, check=True).stdout
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    return fresh_database(body)


print(f"{runs} queued monitor runs (workflows) per measurement, each worker 16 at a time; a cycle is three steps on each system.")
print("steps/s = committed steps / first step's start → last step's end, from each system's own records;")
print(f"cores = CPU seconds of the workers and the server's backends / wall time, of the {os.cpu_count()} this machine has.")
print(f"the server flushes to disk: fsync={psql(admin, 'SHOW fsync')} (the tests' throw-away cluster does not; "
      "Scripts/bench-workers starts one with --durable)")
if not dbos_python:
    print("DBOS Transact: not measured (DBOS_PYTHON is not set; Scripts/bench-workers sets it up under .build/).")
columns = ["Cairn PG 1", "PG 2", "PG 4", "4 vs 1", "SQLite 1"] + (["DBOS PG 1", "DBOS 2", "DBOS 4", "4 vs 1"] if dbos_python else [])
print(f"\n{'workload':38}" + "".join(f"{column:>11}" for column in columns))
best = 0
for name, (delay, cycles) in WORKLOADS.items():
    cells = [cairn_postgres(delay, cycles, workers) for workers in (1, 2, 4)]
    cells += [(None, None), cairn_sqlite(delay, cycles, 1)]
    if dbos_python:
        cells += [dbos(delay, cycles, workers) for workers in (1, 2, 4)] + [(None, None)]
    if delay == 0:
        best = max(rate for rate, _ in cells[:3])
    rates = [f"{rate:>11.0f}" if rate is not None else "" for rate, _ in cells]
    rates[3] = f"{cells[2][0] / cells[0][0]:>10.2f}×"
    if dbos_python:
        rates[8] = f"{cells[7][0] / cells[5][0]:>10.2f}×"
    print(f"{name:38}" + "".join(rates))
    print(f"{'  cores busy':38}" + "".join(f"{busy:>11.2f}" if busy is not None else f"{'':>11}" for _, busy in cells))
tps = pgbench()
print(f"\npgbench (TPC-B-like, 8 clients, 10 s) on the same server: {tps:.0f} transactions/s; "
      f"Cairn's CPU-bound steps/s at best {best:.0f} = {100 * best / tps:.0f} % of it (goal ≥ 30 %)")
