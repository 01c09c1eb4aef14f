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

    /// Cancels the unfinished child runs of a run that was cancelled (and theirs, in turn, as each ends cancelled).
    /// A child another live process drives is asked to cancel at its next lease renewal.
    func cancelChildren(of parent: RunID) async {
        guard let inspectable = journal as? any InspectableJournal,
              let children = try? await inspectable.allRuns(RunQuery(unfinishedOnly: true, parent: parent, limit: 500)) else { return }
        for child in children {
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
