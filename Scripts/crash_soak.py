#!/usr/bin/env python3
"""The crash soak behind Scripts/crash-soak.sh: N random SIGKILL scenarios, each checked."""
import concurrent.futures
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

POINTS = ["before-commit", "after-commit", "in-side-effect", "after-side-effect", "pipelined-start"]
# Where a run that waits for approvals can be killed too.
WAIT_POINTS = ["before-receive", "after-receive", "after-waiting"]
# Where a monitor that publishes its decisions (an order-station run per decision) can be killed too: after a
# publishing commit is durable, before this process drives the station runs it started.
PUBLISH_POINTS = ["before-start-runs"]


def cairn(binary, args, env=None, timeout=120):
    environment = {k: v for k, v in os.environ.items() if k not in ("CAIRN_CRASH_AT", "CAIRN_DB")}
    environment.update(env or {})
    return subprocess.run([binary, *args], env=environment, capture_output=True, text=True, timeout=timeout)


def reference(binary, workflow, payload, directory):
    """The decisions an uninterrupted run (or chain of runs) with the same input takes, in round order."""
    quick = dict(payload, delayMs=0)
    db = os.path.join(directory, "ref.sqlite")
    cairn(binary, ["run", workflow, "--db", db, "--json", "--input", json.dumps(quick)])
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT decision FROM ledger_entry ORDER BY round")]


def chain(c, run_id):
    """The run and the runs it continued as, in order."""
    runs = [run_id]
    while len(runs) < 10_000:
        successor = c.execute("SELECT run_id FROM run WHERE continued_from = ?", (runs[-1],)).fetchone()
        if not successor:
            return runs
        runs.append(successor[0])
    return runs


def check(db, run_id, cycles, expected, approvals=False):
    """Returns a list of problems; empty when the journal and ledger are sound. A run that continued as new is
    checked with its successors: each ends continued but the last, which completed."""
    problems = []
    with sqlite3.connect(db) as c:
        runs = chain(c, run_id)
        statuses = [c.execute("SELECT status FROM run WHERE run_id = ?", (r,)).fetchone() for r in runs]
        if [s[0] if s else None for s in statuses] != ["continued"] * (len(runs) - 1) + ["completed"]:
            return [f"run statuses are {statuses}"]
        # The order-station runs the chain's publications started (modular-feedback-monitor): one per published
        # event, each completed; they, not the monitor, write the ledger.
        marks = ", ".join("?" for _ in runs)
        stations = [r[0] for r in c.execute(f"SELECT run_id FROM run WHERE parent_run_id IN ({marks})", runs)]
        unfinished = c.execute(f"SELECT COUNT(*) FROM run WHERE parent_run_id IN ({marks}) AND status != 'completed'", runs).fetchone()[0]
        if unfinished:
            problems.append(f"{unfinished} station run(s) did not complete")
        published = c.execute(f"""SELECT COUNT(*), SUM((SELECT COUNT(*) FROM run s WHERE s.parent_run_id = e.run_id AND s.published_seq = e.seq) != 1)
                                  FROM event e WHERE e.run_id IN ({marks}) AND e.published = 1""", runs).fetchone()
        if published[0] != len(stations) or (published[1] or 0) != 0:
            problems.append(f"{published[0]} published event(s) but {len(stations)} station run(s), {published[1]} not started exactly once")
        for run in runs + stations:
            seqs = [r[0] for r in c.execute("SELECT seq FROM event WHERE run_id = ? ORDER BY seq", (run,))]
            if seqs != list(range(1, len(seqs) + 1)):
                problems.append(f"event seqs of {run} have gaps or duplicates")
            rerun = c.execute("""SELECT COUNT(*) FROM journal d JOIN journal l ON l.run_id = d.run_id AND l.execution_id = d.execution_id
                                 WHERE d.run_id = ? AND d.kind = 'execution_finished' AND d.outcome = 'completed'
                                 AND l.kind = 'execution_started' AND l.position > d.position""", (run,)).fetchone()[0]
            if rerun:
                problems.append(f"{rerun} committed step(s) of {run} ran again")
        writers = runs + stations
        marks = ", ".join("?" for _ in writers)
        rows = c.execute(f"SELECT round, decision FROM ledger_entry WHERE run_id IN ({marks}) ORDER BY round", writers).fetchall()
        if [r[0] for r in rows] != list(range(1, cycles + 1)):
            problems.append(f"ledger rounds are {[r[0] for r in rows]}")
        if [r[1] for r in rows] != expected:
            problems.append(f"decisions {[r[1] for r in rows]} differ from an uninterrupted run's {expected}")
        if c.execute("SELECT COUNT(*) FROM run").fetchone()[0] != len(writers):
            problems.append("a run was started that is not in the chain or its stations (a successor started twice?)")
        bad_stock = c.execute("""SELECT COUNT(*) FROM stock WHERE quantity !=
                                 (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry l WHERE l.sku = stock.sku)""").fetchone()[0]
        if bad_stock:
            problems.append("stock differs from the ledger's sum")
        if approvals:
            problems += approvals_answered_once(c, writers)
    return problems


class Approver(threading.Thread):
    """Answers every order that waits for approval (`approveOver`), once per waiting execution: the send's
    idempotency key is the run and the execution, so an order re-asked after a crash is not answered twice."""

    def __init__(self, binary, db):
        super().__init__(daemon=True)
        self.binary, self.db, self.stop, self.sent, self.problems = binary, db, threading.Event(), 0, []

    def run(self):
        while not self.stop.wait(0.02):
            if not os.path.exists(self.db):
                continue
            try:
                with sqlite3.connect(self.db, timeout=5) as c:
                    if not has_runs(c):
                        continue
                    waits = c.execute("""SELECT DISTINCT w.run_id, w.execution_id FROM journal w JOIN run r ON r.run_id = w.run_id
                                         WHERE w.kind = 'wait_opened' AND r.finished_at IS NULL AND NOT EXISTS (
                                           SELECT 1 FROM journal f WHERE f.run_id = w.run_id AND f.execution_id = w.execution_id
                                             AND f.kind = 'execution_finished')""").fetchall()
            except sqlite3.Error:
                continue
            for run, execution in waits:
                sent = cairn(self.binary, ["send", run, "inventory.approval", "--payload", '{"approved": true, "by": "soak"}',
                                           "--key", f"{run}/{execution}", "--db", self.db])
                if sent.returncode == 0:
                    self.sent += "already sent" not in sent.stdout
                elif "has ended" not in sent.stderr:
                    self.problems.append(f"send exited {sent.returncode}: {sent.stderr.strip()}")


def approvals_answered_once(c, runs):
    """Problems with the approvals: each answer journaled once, one per order (none for a clear-out)."""
    marks = ", ".join("?" for _ in runs)
    twice = c.execute(f"""SELECT COUNT(*) FROM (SELECT run_id, inbox_seq FROM event WHERE run_id IN ({marks}) AND inbox_seq IS NOT NULL
                          GROUP BY run_id, inbox_seq HAVING COUNT(*) > 1)""", runs).fetchone()[0]
    orders = c.execute(f"SELECT COUNT(*) FROM ledger_entry WHERE run_id IN ({marks}) AND decision = 'order'", runs).fetchone()[0]
    approved = c.execute(f"SELECT COUNT(*) FROM ledger_entry WHERE run_id IN ({marks}) AND approved_by = 'soak'", runs).fetchone()[0]
    return ([f"{twice} sent event(s) journaled twice"] if twice else []) + \
        ([f"{orders} orders but {approved} approved in the ledger"] if orders != approved else [])


def has_runs(connection):
    """Whether the journal has its tables: a process killed while creating it leaves a file without them."""
    return connection.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'run'").fetchone()[0] == 1


def dead_letter(binary, db, run_id):
    """Makes an interrupted run unrebuildable (an event name its workflow does not know), checks it becomes
    a dead letter reported once, then repairs it and reopens it with --retry-broken.
    Returns whether it damaged the run, and a problem or None."""
    with sqlite3.connect(db) as c:
        if not has_runs(c):
            return False, None  # killed while the journal was being created: nothing to damage
        row = c.execute("SELECT r.status, e.name FROM run r JOIN event e ON e.run_id = r.run_id AND e.seq = 2 WHERE r.run_id = ?",
                        (run_id,)).fetchone()
        if not row or row[0] != "running":
            return False, None  # nothing to damage yet, or the run ended before the kill
        name = row[1]
        c.execute("UPDATE event SET name = 'soak.unknown-event' WHERE run_id = ? AND seq = 2", (run_id,))
        c.execute("DELETE FROM snapshot WHERE run_id = ?", (run_id,))  # a snapshot would resume past the damage
    resumed = cairn(binary, ["resume", "--all", "--wait", "--db", db, "--lease-ttl", "1"])
    if resumed.returncode != 0 or f"{run_id}  failed" not in resumed.stdout:
        return True, f"resume --all exited {resumed.returncode}: {resumed.stdout.strip()} {resumed.stderr.strip()}"
    with sqlite3.connect(db) as c:
        code = c.execute("SELECT status, json_extract(error, '$.code') FROM run WHERE run_id = ?", (run_id,)).fetchone()
        ends = c.execute("SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'run_finished'", (run_id,)).fetchone()[0]
    if code != ("failed", "unrebuildable") or ends != 1:
        return True, f"status {code}, {ends} run_finished records"
    if cairn(binary, ["db", "check", "--db", db]).returncode != 1:
        return True, "db check did not report the dead letter"
    with sqlite3.connect(db) as c:
        c.execute("UPDATE event SET name = ? WHERE run_id = ? AND seq = 2", (name, run_id))
    reopened = cairn(binary, ["resume", run_id, "--retry-broken", "--db", db, "--lease-ttl", "1"])
    if reopened.returncode != 0:
        return True, f"resume --retry-broken exited {reopened.returncode}: {reopened.stderr.strip()}"
    return True, None


def scenario(binary, index, seed):
    rng = random.Random(seed)
    workflow = rng.choice(["feedback-monitor", "complex-feedback-monitor", "modular-feedback-monitor"])
    cycles = rng.randint(1, 4)
    payload = {"sku": rng.choice(["Apple", "Pear", "Fig"]), "cycles": cycles, "delayMs": rng.choice([0, 5, 20]), "seed": rng.randint(1, 10**6)}
    if rng.random() < 0.4:
        payload["continueEvery"] = rng.randint(1, cycles)  # a chain of runs, continued as new
    # A third of the scenarios ask for approval of every order (a person in the loop, answered by `cairn send`).
    approvals = rng.random() < 0.35
    if approvals:
        payload["approveOver"] = 5
    points = POINTS + (WAIT_POINTS if approvals else []) + (PUBLISH_POINTS if workflow.startswith("modular") else [])
    # Half the scenarios leave snapshots every few records, so that resumes start from one.
    snapshots = {"CAIRN_SNAPSHOT_EVERY": str(rng.randint(3, 12))} if rng.random() < 0.5 else {}
    # Some are finished by a worker rather than by `resume --all`.
    by_worker = rng.random() < 0.3
    with tempfile.TemporaryDirectory(prefix="cairn-soak-") as directory:
        db = os.path.join(directory, "j.sqlite")
        approver = Approver(binary, db)
        if approvals:
            approver.start()
        try:
            return drive(binary, index, rng, workflow, cycles, payload, points, snapshots, by_worker, approvals, approver, directory, db)
        finally:
            approver.stop.set()


def finish_with_worker(binary, db, run_id, snapshots):
    """Runs a worker until the run's chain and the station runs it started have ended; returns a problem or None."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CAIRN_CRASH_AT", "CAIRN_DB")}
    worker = subprocess.Popen([binary, "worker", "--db", db, "--poll", "0.1", "--lease-ttl", "1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**environment, **snapshots})
    deadline = time.monotonic() + 120
    try:
        started = worker.stderr.readline()  # its first line: from then on SIGTERM stops it cleanly
        if " on " not in started:
            return f"the worker did not start: {started.strip()}"
        while time.monotonic() < deadline:
            with sqlite3.connect(db, timeout=5) as c:
                runs = chain(c, run_id)
                marks = ", ".join("?" for _ in runs)
                ended = c.execute("SELECT finished_at IS NOT NULL AND status != 'continued' FROM run WHERE run_id = ?", (runs[-1],)).fetchone()[0]
                stations = c.execute(f"SELECT COUNT(*) FROM run WHERE parent_run_id IN ({marks}) AND finished_at IS NULL", runs).fetchone()[0]
                if ended and not stations:
                    break
            time.sleep(0.05)  # polling the journal for the run's end
        else:
            return "the worker did not finish the run in 120 s"
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    return None if worker.returncode == 0 else f"worker exited {worker.returncode}: {err.strip()[-300:]}"


def drive(binary, index, rng, workflow, cycles, payload, points, snapshots, by_worker, approvals, approver, directory, db):
    run_id = str(uuid.uuid4())
    command = ["run", workflow, "--db", db, "--id", run_id, "--lease-ttl", "1", "--input", json.dumps(payload)]
    kills = []
    for attempt in range(rng.randint(1, 2)):
        args = command if attempt == 0 else ["resume", "--all", "--wait", "--db", db, "--lease-ttl", "1"]
        if rng.random() < 0.6:
            name = rng.choice(points)
            point = f"{name}:{rng.randint(1, 3 if name in WAIT_POINTS + PUBLISH_POINTS else 20)}"  # a run waits, publishes a few times
            result = cairn(binary, args, env={"CAIRN_CRASH_AT": point, **snapshots})
            kills.append(point if result.returncode == -signal.SIGKILL else f"{point} (not reached)")
        else:
            environment = {k: v for k, v in os.environ.items() if k not in ("CAIRN_CRASH_AT", "CAIRN_DB")}
            process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**environment, **snapshots})
            delay = rng.uniform(0.02, 0.5)
            time.sleep(delay)  # a random-time kill: the randomness is the point
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills.append(f"random {delay:.2f}s")
    if os.path.exists(db) and rng.random() < 0.2:
        damaged, problem = dead_letter(binary, db, run_id)
        if problem:
            return False, f"#{index} {workflow} {kills}: dead letter: {problem}"
        if damaged:
            kills.append("dead letter")
    if os.path.exists(db) and by_worker and has_runs(sqlite3.connect(db)) and \
            sqlite3.connect(db).execute("SELECT COUNT(*) FROM run WHERE run_id = ?", (run_id,)).fetchone()[0]:
        kills.append("worker")
        problem = finish_with_worker(binary, db, run_id, snapshots)
        if problem:
            return False, f"#{index} {workflow} {kills}: {problem}"
    elif os.path.exists(db):
        resumed = cairn(binary, ["resume", "--all", "--wait", "--db", db, "--lease-ttl", "1"], env=snapshots)
        if resumed.returncode != 0:
            return False, f"#{index} {workflow} {kills}: resume exited {resumed.returncode}: {resumed.stderr.strip()}"
    exists = os.path.exists(db) and has_runs(sqlite3.connect(db)) and \
        sqlite3.connect(db).execute("SELECT COUNT(*) FROM run WHERE run_id = ?", (run_id,)).fetchone()[0]
    if not exists:  # the start never became durable: run it again with the same id
        again = cairn(binary, command)
        if again.returncode != 0:
            return False, f"#{index} {workflow} {kills}: rerun exited {again.returncode}: {again.stderr.strip()}"
    expected = reference(binary, workflow, {k: v for k, v in payload.items() if k != "approveOver"}, directory)
    problems = check(db, run_id, cycles, expected, approvals) + approver.problems
    checked = cairn(binary, ["db", "check", "--db", db])
    if checked.returncode != 0:
        problems.append(f"db check: {checked.stdout.strip()[:300]}")
    # The main file alone, copied once every process has exited, holds the whole run.
    copy = os.path.join(directory, "copy.sqlite")
    shutil.copyfile(db, copy)
    problems += [f"copy: {p}" for p in check(copy, run_id, cycles, expected, approvals)]
    every = payload.get("continueEvery")
    shots = f" snapshotEvery={snapshots['CAIRN_SNAPSHOT_EVERY']}" if snapshots else ""
    asked = " approvals" if approvals else ""
    return not problems, f"#{index} {workflow} cycles={cycles}{f' continueEvery={every}' if every else ''}{shots}{asked} kills={kills}: {'; '.join(problems) or 'ok'}"


def main():
    count, binary = int(sys.argv[1]), sys.argv[2]
    master = random.Random(os.environ.get("CAIRN_SOAK_SEED", time.time_ns()))
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(scenario, binary, i, master.getrandbits(64)) for i in range(count)]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            ok, line = future.result()
            passed += ok
            failed += not ok
            if not ok:
                print(f"FAILED {line}", flush=True)
            if done % 25 == 0:
                print(f"... {done}/{count}", file=sys.stderr, flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
