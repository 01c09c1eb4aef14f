#!/usr/bin/env python3
"""The monitor workload through DBOS Transact, for Scripts/bench-workers to run beside Cairn's workers on the same
PostgreSQL server. Each cycle is three checkpointed operations, as a `feedback-monitor` cycle is three steps: a step
that begins the round, a step asking for feedback (waiting `delay_ms`, then voting), and a datasource transaction
writing the decision to a ledger table exactly once.

  bench_dbos.py setup   URL            create the ledger table and the queue
  bench_dbos.py enqueue URL N DELAY CYCLES
  bench_dbos.py worker  URL            a worker process (16 workflows at a time) until SIGTERM

URL is an SQLAlchemy URL: postgresql+psycopg://user:password@host:port/database."""
import os
import random
import signal
import sys
import time

import sqlalchemy as sa
from dbos import DBOS, DBOSClient, SQLAlchemyDatasource

QUEUE = "monitors"
mode, url = sys.argv[1], sys.argv[2]


def launch():
    DBOS(config={"name": "cairn-bench", "system_database_url": url, "executor_id": f"worker-{os.getpid()}", "log_level": "WARNING"})
    DBOS.launch()
    DBOS.register_queue(QUEUE, worker_concurrency=16, polling_interval_sec=0.2)


if mode == "setup":
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS ledger (sku text, round integer, decision text)"))
    SQLAlchemyDatasource.migrate(url)
    launch()
    DBOS.destroy()
elif mode == "enqueue":
    count, delay, cycles = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    client = DBOSClient(system_database_url=url)
    for index in range(count):
        client.enqueue({"queue_name": QUEUE, "workflow_name": "monitor"}, f"SKU-{index % 5}", cycles, delay, index + 1)
    client.destroy()
elif mode == "worker":
    datasource = SQLAlchemyDatasource.create(url)

    @DBOS.step()
    def begin(round_: int) -> int:
        return round_

    @DBOS.step()
    def get_feedback(round_: int, delay_ms: int, seed: int) -> bool:
        time.sleep(delay_ms / 1000)
        return random.Random(seed * 1000 + round_).random() < 0.5

    @datasource.transaction()
    def record(sku: str, round_: int, decision: str) -> str:
        datasource.sql_session().execute(sa.text("INSERT INTO ledger (sku, round, decision) VALUES (:sku, :round, :decision)"),
                                         {"sku": sku, "round": round_, "decision": decision})
        return decision

    @DBOS.workflow(name="monitor")
    def monitor(sku: str, cycles: int, delay_ms: int, seed: int) -> list:
        decisions = []
        for round_ in range(cycles):
            begin(round_)
            decisions.append(record(sku, round_, "order" if get_feedback(round_, delay_ms, seed) else "clear"))
        return decisions

    launch()
    signal.signal(signal.SIGTERM, lambda *_: (DBOS.destroy(), sys.exit(0)))
    while True:
        signal.pause()
else:
    sys.exit(f"unknown mode {mode}")
