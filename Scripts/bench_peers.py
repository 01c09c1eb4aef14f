#!/usr/bin/env python3
"""Cairn beside its peers, side by side in one run (Scripts/bench-peers drives this).

For each workload, Cairn's figure (cairn-bench, release build) and each peer's (Scripts/peers.py, one process
per measurement), interleaved so that the machine's noise falls on all of them alike, then the kill trial:
a 40-step run whose every step pays for something outside, SIGKILLed after some steps and resumed the way
each engine resumes; the lines beyond 40 are side effects paid twice.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

BENCH, PYTHON = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ["llamaindex", "dbos", "langgraph"]
WORKLOADS = [
    ("chain", "chain", "sequential chain of 10,000 steps, in memory"),
    ("durable-chain", "durable-chain", "sequential chain of 2,000 steps, durable"),
    ("fan-out", "fan-out", "1,000 events × 10 ms I/O into a join"),
    ("durable-runs", "durable-runs", "100 concurrent runs × 20 steps, durable"),
]
KILLS = [8, 25]


def cairn(scenario):
    out = subprocess.run([BENCH, scenario], capture_output=True, text=True, timeout=600)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return figures["stepsPerSecond"]


def peer(name, scenario, env=None):
    with tempfile.TemporaryDirectory(prefix="cairn-peers-") as work:
        out = subprocess.run([PYTHON, os.path.join(HERE, "peers.py"), name, scenario], capture_output=True, text=True, timeout=600,
                             env={**os.environ, "PEERS_DIR": work, **(env or {})})
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return None, f"failed: {(out.stderr.strip().splitlines() or ['?'])[-1][:80]}"
    result = json.loads(lines[-1])
    if "skipped" in result:
        return None, result["skipped"]
    return result["steps"] / result["seconds"], None


def kill_trial(command, resume, work, after, env=None):
    """Runs `command` until its effects file has `after` lines, SIGKILLs it, runs `resume`; returns the lines."""
    effects = os.path.join(work, "effects.txt")
    open(effects, "w").close()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with open(effects) as f:
            if sum(1 for _ in f) >= after:
                break
        time.sleep(0.001)  # polling a file another process writes: nothing to wait on
    process.send_signal(signal.SIGKILL)
    process.wait()
    # A peer's script resumes when told to (PEERS_RESUME); Cairn's trial resumes the run its journal has.
    subprocess.run(resume, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, env=env and {**env, "PEERS_RESUME": "1"})
    with open(effects) as f:
        return sum(1 for _ in f)


def main():
    print(f"Cairn beside its peers — {os.cpu_count()} cores, one process per measurement, steps/s (higher is better)\n")
    print(f"{'workload':48} {'Cairn':>9} " + " ".join(f"{p:>22}" for p in PEERS))
    for scenario, peer_scenario, what in WORKLOADS:
        mine = cairn(scenario)
        cells = []
        for name in PEERS:
            rate, why = peer(name, peer_scenario)
            cells.append(f"{rate:9.0f} (Cairn {mine / rate:5.1f}×)" if rate else f"{'–':>22}")
        print(f"{what:48} {mine:9.0f} " + " ".join(f"{c:>22}" for c in cells))

    print(f"\nKill trial: a 40-step run, each step paying once for something outside; SIGKILL after N paid steps, then resume.")
    print(f"{'killed after':48} {'Cairn':>9} " + " ".join(f"{p:>22}" for p in PEERS))
    for after in KILLS:
        cells = []
        with tempfile.TemporaryDirectory(prefix="cairn-kill-") as work:
            db, effects = os.path.join(work, "j.sqlite"), os.path.join(work, "effects.txt")
            trial = [BENCH, "kill-trial", db, effects]
            lines = kill_trial(trial, trial, work, after)
        mine = f"{lines - 40} twice"
        for name in PEERS:
            with tempfile.TemporaryDirectory(prefix="cairn-kill-") as work:
                command = [PYTHON, os.path.join(HERE, "peers.py"), name, f"kill-{after}"]
                lines = kill_trial(command, command, work, after, env={**os.environ, "PEERS_DIR": work})
            cells.append(f"{lines - 40} twice" if lines is not None else "–")
        print(f"{f'{after} steps':48} {mine:>9} " + " ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
