#!/usr/bin/env python3
"""The peers' side of Scripts/bench-peers: the same workloads as cairn-bench, in LlamaIndex Workflows, DBOS
Transact (SQLite system database) and LangGraph (SQLite checkpointer). Each `peers.py PEER SCENARIO` runs one
scenario in its own process and prints {"seconds": …, "steps": …} (or {"skipped": why}) as JSON.

Scenarios: chain (10,000 sequential steps, in memory), durable-chain (2,000, durable), fan-out (1,000 × 10 ms
I/O into a join), durable-runs (100 concurrent runs × 20 steps, durable), and kill-N (a run of 40 steps, each
appending a line to a side-effect file, SIGKILLed after N lines, then resumed the way the peer resumes: the
number of lines beyond 40 is the number of side effects paid twice).
"""
import asyncio
import json
import os
import sys
import tempfile
import time

PEER, SCENARIO = sys.argv[1], sys.argv[2]
WORK = os.environ.get("PEERS_DIR") or tempfile.mkdtemp(prefix="cairn-peers-")
KILL_STEPS = 40


def report(seconds, steps):
    print(json.dumps({"seconds": seconds, "steps": steps}))


def skip(why):
    print(json.dumps({"skipped": why}))


def side_effect(path, n):
    """A step's effect on the outside world: one line per call, flushed to disk before the step returns."""
    with open(path, "a") as f:
        f.write(f"{n}\n")
        f.flush()
        os.fsync(f.fileno())


# LlamaIndex Workflows: steps subscribe to event types; state lives in memory (no durable journal).
def llamaindex():
    from workflows import Context, Workflow, step
    from workflows.events import Event, StartEvent, StopEvent

    class Hop(Event):
        n: int

    class Job(Event):
        n: int

    class Done(Event):
        n: int

    class Chain(Workflow):
        @step
        async def begin(self, ev: StartEvent) -> Hop:
            return Hop(n=ev.n)

        @step
        async def hop(self, ev: Hop) -> Hop | StopEvent:
            if ev.n <= 1:
                return StopEvent(result=0)
            if getattr(self, "effects", None):
                side_effect(self.effects, ev.n)
            return Hop(n=ev.n - 1)

    class FanOut(Workflow):
        @step
        async def fan(self, ctx: Context, ev: StartEvent) -> Job | None:
            for n in range(ev.count):
                ctx.send_event(Job(n=n))
            return None

        @step(num_workers=1000)
        async def work(self, ev: Job) -> Done:
            await asyncio.sleep(0.01)
            return Done(n=ev.n)

        @step
        async def gather(self, ctx: Context, ev: Done) -> StopEvent | None:
            done = ctx.collect_events(ev, [Done] * 1000)
            return None if done is None else StopEvent(result=len(done))

    async def run():
        if SCENARIO == "chain":
            start = time.perf_counter()
            await Chain(timeout=None).run(n=10_000)
            report(time.perf_counter() - start, 10_000)
        elif SCENARIO == "fan-out":
            start = time.perf_counter()
            await FanOut(timeout=None).run(count=1_000)
            report(time.perf_counter() - start, 1_002)
        elif SCENARIO.startswith("kill-"):
            # No journal: after a kill the only way on is to run the workflow again from its start.
            effects = os.path.join(WORK, "effects.txt")
            workflow = Chain(timeout=None)
            workflow.effects = effects
            await workflow.run(n=KILL_STEPS + 1)
        else:
            skip("LlamaIndex Workflows keep a run's state in memory: nothing durable to measure")

    asyncio.run(run())


# DBOS Transact: @DBOS.workflow functions of @DBOS.step calls, each step checkpointed in the system database.
def dbos():
    from dbos import DBOS, DBOSConfig

    database = os.path.join(WORK, "dbos.sqlite")
    DBOS(config=DBOSConfig(name="cairn-peers", system_database_url=f"sqlite:///{database}"))
    effects = os.path.join(WORK, "effects.txt")

    @DBOS.step()
    def hop(n: int) -> int:
        return n - 1

    @DBOS.step()
    def paid_hop(n: int) -> int:
        side_effect(effects, n)
        return n - 1

    @DBOS.workflow()
    def chain(n: int) -> int:
        while n > 1:
            n = hop(n)
        return n

    @DBOS.workflow()
    def paid_chain(n: int) -> int:
        while n > 1:
            n = paid_hop(n)
        return n

    @DBOS.step()
    async def work(n: int) -> int:
        await asyncio.sleep(0.01)
        return n

    @DBOS.workflow()
    async def fan_out(count: int) -> int:
        return len(await asyncio.gather(*[work(n) for n in range(count)]))

    DBOS.launch()  # recovers this executor's pending workflows: how a killed run goes on
    if SCENARIO == "durable-chain":
        start = time.perf_counter()
        chain(2_000)
        report(time.perf_counter() - start, 2_000)
    elif SCENARIO == "durable-runs":
        start = time.perf_counter()
        handles = [DBOS.start_workflow(chain, 21) for _ in range(100)]
        for handle in handles:
            handle.get_result()
        report(time.perf_counter() - start, 2_000)
    elif SCENARIO == "fan-out":
        start = time.perf_counter()
        asyncio.run(fan_out(1_000))
        report(time.perf_counter() - start, 1_002)
    elif SCENARIO.startswith("kill-"):
        if os.environ.get("PEERS_RESUME"):
            # DBOS.launch() recovers this executor's pending workflows in the background: wait for them.
            for status in DBOS.list_workflows(status=["PENDING", "ENQUEUED"]):
                DBOS.retrieve_workflow(status.workflow_id).get_result()
        else:
            paid_chain(KILL_STEPS + 1)
    else:
        skip("DBOS checkpoints every step: no in-memory mode")
    DBOS.destroy()


# LangGraph: a StateGraph whose every super-step is checkpointed by the SQLite checkpointer.
def langgraph():
    import operator
    import sqlite3
    from typing import Annotated, TypedDict

    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Send

    effects = os.path.join(WORK, "effects.txt")

    class Counter(TypedDict):
        n: int

    def hop(state: Counter) -> Counter:
        if os.environ.get("PEERS_EFFECTS"):
            side_effect(effects, state["n"])
        return {"n": state["n"] - 1}

    def chain_graph(checkpointer):
        graph = StateGraph(Counter)
        graph.add_node("hop", hop)
        graph.add_edge(START, "hop")
        graph.add_conditional_edges("hop", lambda state: END if state["n"] <= 1 else "hop")
        return graph.compile(checkpointer=checkpointer)

    class Fan(TypedDict):
        count: int
        done: Annotated[list, operator.add]

    async def work(job: dict) -> dict:
        await asyncio.sleep(0.01)
        return {"done": [job["n"]]}

    def fan_graph():
        graph = StateGraph(Fan)
        graph.add_node("work", work)
        graph.add_conditional_edges(START, lambda state: [Send("work", {"n": n}) for n in range(state["count"])])
        graph.add_edge("work", END)
        return graph.compile()

    def saver():
        return SqliteSaver(sqlite3.connect(os.path.join(WORK, "langgraph.sqlite"), check_same_thread=False))

    config = {"recursion_limit": 100_000}
    if SCENARIO == "chain":
        start = time.perf_counter()
        chain_graph(InMemorySaver()).invoke({"n": 10_000}, {**config, "configurable": {"thread_id": "chain"}})
        report(time.perf_counter() - start, 10_000)
    elif SCENARIO == "durable-chain":
        start = time.perf_counter()
        chain_graph(saver()).invoke({"n": 2_000}, {**config, "configurable": {"thread_id": "chain"}}, durability="sync")
        report(time.perf_counter() - start, 2_000)
    elif SCENARIO == "durable-runs":
        graph = chain_graph(saver())
        start = time.perf_counter()
        # The sync SQLite checkpointer serialises its writes: runs go through one thread pool of 100.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=100) as pool:
            list(pool.map(lambda i: graph.invoke({"n": 21}, {**config, "configurable": {"thread_id": f"run-{i}"}}, durability="sync"),
                          range(100)))
        report(time.perf_counter() - start, 2_000)
    elif SCENARIO == "fan-out":
        start = time.perf_counter()
        asyncio.run(fan_graph().ainvoke({"count": 1_000, "done": []}, config))
        report(time.perf_counter() - start, 1_002)
    elif SCENARIO.startswith("kill-"):
        os.environ["PEERS_EFFECTS"] = "1"
        graph = chain_graph(saver())
        thread = {**config, "configurable": {"thread_id": "kill"}}
        # Resuming is invoking the thread again with no input: it goes on from its last checkpoint.
        # durability="sync": each checkpoint is written before the next step runs (the default writes them
        # in the background, and a kill loses the last ones).
        graph.invoke(None if os.environ.get("PEERS_RESUME") else {"n": KILL_STEPS + 1}, thread, durability="sync")
    else:
        skip(f"no {SCENARIO} for LangGraph")


{"llamaindex": llamaindex, "dbos": dbos, "langgraph": langgraph}[PEER]()
