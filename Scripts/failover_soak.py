#!/usr/bin/env python3
"""Behind Scripts/failover-soak.sh: RUNS monitor runs queued (cairn run --detach) on a fresh PostgreSQL database,
WORKERS `cairn worker` processes driving them (8 runs at a time each); every 1.5–3 s one worker is SIGKILLed and a new one started, and
once one is SIGSTOPped past its lease and let go on. Afterwards: every run completed, each run's ledger rows are its
decisions, no committed execution ran again, every takeover is journaled at a higher epoch than the last; and from
each kill to the first step of that worker's runs on another worker, less the lease TTL, is printed."""
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

cairn, runs, worker_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
TTL = 2
CONCURRENCY = 8
server = urllib.parse.urlparse(os.environ["CAIRN_TEST_POSTGRES"])
database = f"soak_{random.randrange(1 << 30)}"
url = f"postgres://{server.username}@{server.hostname}:{server.port}/{database}"
admin = os.environ["CAIRN_TEST_POSTGRES"]
env = dict(os.environ, PGPASSWORD=server.password or "", CAIRN_DB=url)
scratch = tempfile.mkdtemp(prefix="cairn-soak-")
random.seed(20261206)
problems = []


def sql(query, target=None):
    """Rows of a query, as lists of strings (psql, unaligned)."""
    out = subprocess.run(["psql", target or admin.replace(server.path, "/" + database), "-XAtq", "-F", "\t", "-c", query],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


class Worker:
    count = 0

    def __init__(self):
        Worker.count += 1
        self.log = os.path.join(scratch, f"worker-{Worker.count}.log")
        self.process = subprocess.Popen([cairn, "worker", "--concurrency", str(CONCURRENCY), "--lease-ttl", str(TTL), "--poll", "1"],
                                        env=env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        self.owner = None

    def owner_id(self):
        if self.owner is None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.owner is None:
                found = re.search(r"worker (\S+) on ", open(self.log).read())
                self.owner = found.group(1) if found else None
                if self.owner is None:
                    time.sleep(0.05)  # waiting for the worker to say who it is
        return self.owner


subprocess.run(["psql", admin, "-Xqc", f"CREATE DATABASE {database}"], check=True)
workers = []
try:
    started = time.monotonic()
    for index in range(runs):
        workflow = "complex-feedback-monitor" if index % 2 else "feedback-monitor"
        payload = json.dumps({"sku": f"SKU-{index % 7}", "cycles": 10, "delayMs": 250, "seed": index + 1})
        subprocess.run([cairn, "run", workflow, "--detach", "--input", payload], env=env, check=True, capture_output=True)
    print(f"queued {runs} runs in {time.monotonic() - started:.1f} s")
    workers = [Worker() for _ in range(worker_count)]
    for worker in workers:
        worker.owner_id()

    kills, stopped, deadline = [], None, time.monotonic() + 600
    next_kill = time.monotonic() + 2
    while time.monotonic() < deadline:
        left = int(sql("SELECT count(*) FROM run WHERE finished_at IS NULL")[0][0])
        if left == 0:
            break
        now = time.monotonic()
        if stopped is None and len(kills) == 1:
            # One worker stopped past its lease (its runs are taken over meanwhile), then let go on: it must write nothing.
            stopped = random.choice([w for w in workers if w.process.poll() is None])
            stopped.process.send_signal(signal.SIGSTOP)
            stopped_until = now + TTL + 2
        if stopped is not None and stopped_until and now >= stopped_until:
            stopped.process.send_signal(signal.SIGCONT)
            stopped_until = None
        if now >= next_kill:
            victim = random.choice([w for w in workers if w.process.poll() is None and w is not stopped])
            owned = [(row[0], float(row[1])) for row in sql(f"""SELECT run_id, extract(epoch FROM expires_at) FROM lease JOIN run USING (run_id)
                     WHERE owner = '{victim.owner_id()}' AND expires_at > now() AND run.finished_at IS NULL""")]
            at = sql("SELECT extract(epoch FROM clock_timestamp())")[0][0]
            victim.process.kill()
            victim.process.wait()
            workers.remove(victim)
            workers.append(Worker())
            # Whether the live workers have a slot for every unfinished run: else a dead worker's runs wait for one.
            slots = CONCURRENCY * sum(1 for w in workers if w is not stopped or stopped_until is None)
            kills.append((float(at), owned, left <= slots))
            next_kill = now + random.uniform(1.5, 3)
        time.sleep(0.2)  # polling the journal for the runs left
    else:
        problems.append("the runs did not all complete within 600 s")
    elapsed = time.monotonic() - started

    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGCONT)
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            code = worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            code = "hung"
        if code != 0:
            problems.append(f"a worker exited {code} on SIGTERM: {open(worker.log).read()[-300:]}")

    not_done = sql("SELECT run_id, status, COALESCE(error, '') FROM run WHERE status <> 'completed'")
    if not_done:
        problems.append(f"{len(not_done)} run(s) did not complete: {not_done[:3]}")
    wrong_ledger = sql("""SELECT run.run_id FROM run
        WHERE jsonb_array_length(run.result::jsonb -> 'result' -> 'decisions')
              <> (SELECT count(*) FROM ledger_entry WHERE ledger_entry.run_id = run.run_id::text)""")
    if wrong_ledger:
        problems.append(f"{len(wrong_ledger)} run(s) whose ledger rows are not their decisions: {wrong_ledger[:3]}")
    reruns = sql("""SELECT count(*) FROM journal AS done JOIN journal AS later
        ON later.run_id = done.run_id AND later.execution_id = done.execution_id
        WHERE done.kind = 'execution_finished' AND done.outcome = 'completed'
          AND later.kind = 'execution_started' AND later.position > done.position""")[0][0]
    if reruns != "0":
        problems.append(f"{reruns} committed execution(s) ran again")
    epochs = sql("""SELECT run_id, string_agg(detail::jsonb ->> 'epoch', ',' ORDER BY position) FROM journal
        WHERE kind = 'run_resumed' GROUP BY run_id""")
    takeovers = 0
    for run_id, listed in epochs:
        numbers = [int(n) for n in listed.split(",")]
        takeovers += len(numbers)
        if numbers != sorted(set(numbers)) or numbers[0] < 2:
            problems.append(f"run {run_id}'s takeovers are not at rising epochs: {numbers}")

    # For each run a killed worker held: from its lease's expiry to the first record another worker journaled for it.
    latencies, waited, resumed = [], [], 0
    for killed_at, owned, had_slots in kills:
        for run_id, expiry in owned:
            # No record after the kill: the run had finished its work (its end was journaled before), or NULL prints nothing.
            rows = sql(f"""SELECT extract(epoch FROM min(at)) FROM journal
                WHERE run_id = '{run_id}' AND at > to_timestamp({killed_at})""")
            first = rows[0][0] if rows and rows[0] else None
            if first:
                (latencies if had_slots else waited).append((float(first) - expiry) * 1000)
            resumed += int(sql(f"SELECT count(*) FROM journal WHERE run_id = '{run_id}' AND kind = 'run_resumed' AND at > to_timestamp({killed_at})")[0][0])

    steps = sql("SELECT count(*) FROM journal WHERE kind = 'execution_finished'")[0][0]
    print(f"{runs} runs, {steps} step executions in {elapsed:.1f} s on {worker_count} workers; {len(kills)} kills "
          f"(holding {', '.join(str(len(owned)) for _, owned, _ in kills)} run(s); {resumed} of them resumed elsewhere), "
          f"1 worker stopped past its lease; {takeovers} takeovers journaled")
    if latencies:
        print(f"a killed worker's run, the live workers having a free slot for it: its lease's expiry → the first record "
              f"another worker journals for it: median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms "
              f"over {len(latencies)} runs (goal < 200 ms)")
    if waited:
        print(f"a killed worker's run, every live worker's slots full at the kill: expiry → first record median "
              f"{statistics.median(waited):.0f} ms, max {max(waited):.0f} ms over {len(waited)} runs (it waits for a run to end; "
              f"started runs are claimed before new ones)")
    if stopped is not None:
        fenced = len(re.findall(r"took run \S+ over", open(stopped.log).read()))
        print(f"the stopped worker, let go on: {fenced} run(s) it had lost said so, and wrote nothing to them (no execution ran twice)")
finally:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.kill()
    subprocess.run(["psql", admin, "-Xqc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)

if problems:
    print("FAILED:\n  " + "\n  ".join(problems) + f"\nthe workers' logs: {scratch}")
    sys.exit(1)
shutil.rmtree(scratch, ignore_errors=True)
print("failover soak: ok")
