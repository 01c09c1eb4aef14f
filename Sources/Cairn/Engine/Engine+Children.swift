import Foundation
import Logging

extension Engine {
    /// Starts `child` as run `id` of `parent`, or re-attaches to it when it exists, and returns its result
    /// (``WorkflowContext/call(_:input:)``).
    func callChild<C: Workflow>(_ child: C, input: C.Input, id: RunID, parent: ParentLink, deadline: Date?) async throws -> C.Output {
        var options = RunOptions(id: id, timeout: deadline.map { .milliseconds(Int64(max(1, $0.timeIntervalSince(clock.now) * 1000))) })
        options.parent = parent
        let handle: RunHandle<C.Output>
        let place = started.claiming()
        do {
            handle = try await start(child, input: input, options: options)
            started.claimed(place, AnyRunHandle(handle))
        } catch let error as CairnError where error.code == .runExists {
            if let driven = live.driver(of: id), let task = driven.task {
                started.claimed(place, nil)
                handle = RunHandle(runID: id, task: task, journal: journal, chain: RunChain())  // this engine drives it already
            } else {
                do {
                    handle = try await resume(child, run: id)  // its end, or the rest of it, here
                    started.claimed(place, AnyRunHandle(handle))
                } catch let error as CairnError where error.code == .runOwned {
                    started.claimed(place, nil)
                    return try await end(ofChild: child, id)  // another process (a worker) drives it
                }
            }
        } catch {
            started.claimed(place, nil)
            throw error
        }
        do {
            return try await handle.result
        } catch let error as RunError {
            throw ChildRunFailed(run: id, workflow: C.name, error: error)
        }
    }

    /// The result of child run `id`, which another process drives, read from the journal once it ends: looked
    /// at after each commit to the journal (on a journal that says when), else every second.
    private func end<C: Workflow>(ofChild child: C, _ id: RunID) async throws -> C.Output {
        while true {
            let ended = try await (journal as? any InspectableJournal)?.summary(of: id).map { $0.status.isTerminal } ?? true
            if ended, case .runFinished(let finished)? = try await journal.records(for: id).last, finished.status != .continued {
                guard let result = finished.result else {
                    throw ChildRunFailed(run: id, workflow: C.name, error: finished.error ?? RunError(.internalInconsistency, "it ended \(finished.status.rawValue)"))
                }
                return try WorkflowContext.decode(StopEvent<C.Output>.self, from: result, what: "the result of child run \(id)").result
            }
            await journal.nextChange(upTo: .seconds(1), orAfter: .seconds(1))
            try Task.checkCancellation()
        }
    }

    /// Cancels the unfinished child runs of a run that was cancelled (and theirs, in turn, as each ends cancelled),
    /// but for those started detached (subscriber runs among them).
    /// A child another live process drives is asked to cancel at its next lease renewal.
    func cancelChildren(of parent: RunID) async {
        guard let inspectable = journal as? any InspectableJournal,
              let children = try? await inspectable.allRuns(RunQuery(unfinishedOnly: true, parent: parent, limit: 500)) else { return }
        for child in children {
            if case .runStarted(let started)? = try? await journal.records(for: child.runID).first, started.parent?.detached == true { continue }
            do {
                try await cancel(run: child.runID)
            } catch let error as CairnError where error.code == .runOwned {
                try? await (journal as? any CancelRequestingJournal)?.requestCancel(of: child.runID)
            } catch {
                logger.warning("child run \(child.runID) of cancelled run \(parent) could not be cancelled: \(error)")
            }
        }
    }
}

extension Engine {
    /// Drives the runs a durable commit started, each through its registration, as a worker would claim them: a
    /// run another process (a worker) took first is left to it.
    func drive(started runs: [OutgoingRun]) {
        guard configuration.drivesStartedRuns, !runs.isEmpty else { return }
        CrashPoint.reach("before-start-runs")
        for run in runs {
            let id = run.record.runID
            let place = started.claiming()
            Task {
                do {
                    started.claimed(place, try await run.registration.drive(self, run.record))
                } catch {
                    started.claimed(place, nil)
                    logger.debug("run \(id), which run \(run.record.parent?.run.description ?? "?") started, is not driven here: \(error)")
                }
            }
        }
    }

    /// The runs this engine drives because its runs started them (children called or started, subscribers), in
    /// the order they were started, once every such run it was taking over is taken: a foreground caller follows
    /// them to their end (`cairn run`). A run a worker took first is not among them.
    public func startedRuns() async -> [AnyRunHandle] {
        await started.all()
    }

    /// Each run this engine drives because its runs started it, those so far first, as it is taken: a foreground
    /// caller announces their waits as they come. Cancel the iterating task when done.
    public var startedRunStream: AsyncStream<AnyRunHandle> {
        started.stream()
    }

    /// Drives `workflow`'s run that a durable commit of one of this engine's runs started, from its start record
    /// alone when nobody drove it yet (no journal read); else — a worker took it first — it is claimed like any run.
    func drive<W: Workflow>(_ workflow: W, started record: RunStarted) async throws -> RunHandle<W.Output> {
        guard let leasing = journal as? any LeasingJournal, try await leasing.takeOverIfPending(record.runID) else {
            return try await resume(workflow, run: record.runID, unfinishedOnly: true)
        }
        guard let inbox = live.claim(record.runID) else {
            await leasing.releaseLease(of: record.runID)
            throw CairnError(.runOwned, "run \(record.runID) is being driven by this engine already")
        }
        var machine = RunStateMachine(graph: workflow.graph)
        do {
            try machine.apply(Self.decoded(.runStarted(record), graph: machine.graph))
        } catch {
            await leasing.releaseLease(of: record.runID)
            live.release(record.runID)
            throw error
        }
        return launch(machine, runID: record.runID, inbox: inbox)
    }

    /// Wakes the parent of a run that ended, when this engine drives it and the end was reported to it (``ChildRunEnded``).
    func wakeParent(of started: RunStarted?) {
        guard let parent = started?.parent, parent.reportsEndAs != nil else { return }
        live.driver(of: parent.run)?.inbox.send(.inboxChanged)
    }
}
