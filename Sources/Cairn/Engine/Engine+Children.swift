import Foundation
import Logging

extension Engine {
    /// Starts `child` as run `id` of `parent`, or re-attaches to it when it exists, and returns its result
    /// (``WorkflowContext/call(_:input:)``).
    func callChild<C: Workflow>(_ child: C, input: C.Input, id: RunID, parent: ParentLink, deadline: Date?) async throws -> C.Output {
        var options = RunOptions(id: id, timeout: deadline.map { .milliseconds(Int64(max(1, $0.timeIntervalSince(clock.now) * 1000))) })
        options.parent = parent
        let handle: RunHandle<C.Output>
        do {
            handle = try await start(child, input: input, options: options)
        } catch let error as CairnError where error.code == .runExists {
            if let driven = live.driver(of: id), let task = driven.task {
                handle = RunHandle(runID: id, task: task, journal: journal, chain: RunChain())  // this engine drives it already
            } else {
                handle = try await resume(child, run: id)  // its end, or the rest of it, here
            }
        }
        do {
            return try await handle.result
        } catch let error as RunError {
            throw ChildRunFailed(run: id, workflow: C.name, error: error)
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
        for run in runs {
            let id = run.record.runID
            Task {
                do {
                    _ = try await run.registration.claim(self, id)
                } catch {
                    logger.debug("run \(id), which run \(run.record.parent?.run.description ?? "?") started, is not driven here: \(error)")
                }
            }
        }
    }

    /// Wakes the parent of a run that ended, when this engine drives it and the end was reported to it (``ChildRunEnded``).
    func wakeParent(of started: RunStarted?) {
        guard let parent = started?.parent, parent.reportsEndAs != nil else { return }
        live.driver(of: parent.run)?.inbox.send(.inboxChanged)
    }
}
