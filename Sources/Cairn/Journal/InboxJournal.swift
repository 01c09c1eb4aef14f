public import Foundation

/// An event for a run's inbox, as its sender gives it.
public struct InboxMessage: Sendable {
    /// The event type's persisted name: one the run accepts (``Workflow/accepts``).
    public let name: String
    /// The event as JSON.
    public let payload: Data
    /// An idempotency key: a second send with the same key to the same run delivers nothing and returns the
    /// first send's receipt.
    public let key: String?
    /// Who sent it, for audits: `cli`, a run id, a program's own label.
    public let sender: String?

    public init(name: String, payload: Data, key: String? = nil, sender: String? = nil) {
        self.name = name
        self.payload = payload
        self.key = key
        self.sender = sender
    }
}

/// Where a sent event is in its run's inbox.
public struct InboxReceipt: Sendable, Equatable, Codable {
    public let runId: RunID
    /// The event's place in the run's inbox: 1, 2, 3, …; the run's owner journals the events in this order.
    public let inboxSeq: Int
    /// True when the key was sent before: nothing new was delivered, and this is the first send's place.
    public let duplicate: Bool

    public init(runId: RunID, inboxSeq: Int, duplicate: Bool) {
        self.runId = runId
        self.inboxSeq = inboxSeq
        self.duplicate = duplicate
    }
}

/// An event in a run's inbox.
public struct InboxEntry: Sendable {
    public let inboxSeq: Int
    public let name: String
    public let payload: Data
    public let sentAt: Date

    public init(inboxSeq: Int, name: String, payload: Data, sentAt: Date) {
        self.inboxSeq = inboxSeq
        self.name = name
        self.payload = payload
        self.sentAt = sentAt
    }
}

/// A journal that keeps an inbox per run: events sent from outside (contract 11). A send is a row that is
/// durable when ``send(_:to:)`` returns; the run's owner journals inbox rows as events of the run, in inbox
/// order, in a commit of its own, so that a run's journal keeps one writer.
public protocol InboxJournal: Journal {
    /// Writes `message` into the run's inbox and returns where it is. A message whose key was sent to the run
    /// before returns that send's receipt, whatever became of the run since.
    /// - Throws: ``CairnError`` — nothing written — `run-not-found` for an unknown run, `run-ended` naming the
    ///   status of a run that has ended, `invalid-input` listing the names the run accepts when it does not
    ///   accept `message.name`.
    func send(_ message: InboxMessage, to run: RunID) async throws -> InboxReceipt
    /// The run's inbox entries after `inboxSeq`, in inbox order.
    func inbox(of run: RunID, after inboxSeq: Int) async throws -> [InboxEntry]
    /// Calls `sent` soon after an event is sent to `run` by another process, until the watch is cancelled.
    func watchInbox(of run: RunID, sent: @escaping @Sendable () -> Void) -> InboxWatch
    /// How many inbox rows of every run their owners have not journaled yet: the inbox depth a monitor watches.
    func pendingInboxRows() async throws -> Int
}

extension CairnError {
    /// The refusal of a send to a run that does not accept `name`.
    public static func notAccepted(_ name: String, by run: RunID, workflow: String, accepts: [String]) -> CairnError {
        CairnError(.invalidInput, "run \(run) (workflow '\(workflow)') does not accept '\(name)' from outside: "
            + (accepts.isEmpty ? "it accepts no events" : "it accepts " + accepts.map { "'\($0)'" }.joined(separator: ", ")), event: name)
    }

    /// The refusal of a send to a run that has ended.
    public static func ended(_ run: RunID, status: RunStatus) -> CairnError {
        CairnError(.runEnded, "run \(run) has ended \(status.rawValue): it takes no more events; start a new run")
    }
}

/// A watch on a run's inbox (``InboxJournal/watchInbox(of:sent:)``): cancel it when the run stops.
public final class InboxWatch: Sendable {
    private let stop: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) { stop = cancel }

    /// A watch that watches nothing.
    public static var none: InboxWatch { InboxWatch(cancel: {}) }

    public func cancel() { stop() }
}

extension InboxJournal {
    /// Calls `sent` soon after an event is sent to `run` by another process (contract 12: cheaply, without
    /// busy polling), until the watch is cancelled. By default nothing: a journal only one process uses hears
    /// every send through its engine.
    public func watchInbox(of run: RunID, sent: @escaping @Sendable () -> Void) -> InboxWatch { .none }
}

/// A journal that says when any process committed to it: a run that waits on another process's run (a child
/// a worker drives) looks again then, rather than on a timer.
public protocol ChangeWaitingJournal: Journal {
    /// Returns after the next commit to the journal by any process, or once `limit` passes, or at once when the
    /// task is cancelled.
    func waitForChange(upTo limit: Duration) async
}

extension Journal {
    /// Returns after the journal's next commit by any process, at most `limit` later, on a journal that says when
    /// (``ChangeWaitingJournal``); on one that cannot, after `fallback`. For loops that look again at what another
    /// process may have written.
    public func nextChange(upTo limit: Duration, orAfter fallback: Duration) async {
        if let watching = self as? any ChangeWaitingJournal {
            await watching.waitForChange(upTo: limit)
        } else {
            try? await Task.sleep(for: fallback)
        }
    }
}
