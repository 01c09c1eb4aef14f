import Foundation

extension Engine {
    /// Sends `event` to a run from outside (contract 11): a row in the run's inbox, durable when this returns.
    /// The run's owner journals it as an event of the run in its next commit — at once when this engine drives
    /// the run — and steps subscribed to its type handle it. With a `key`, a repeated send delivers nothing and
    /// returns the first send's receipt.
    ///
    /// ```swift
    /// try await engine.send(Approval(approved: true, by: "ada"), to: run, key: "approval-1")
    /// ```
    /// - Throws: ``CairnError`` — nothing sent — `run-not-found`, `run-ended` (naming the status), or
    ///   `invalid-input` when the run does not accept the event's type (``Workflow/accepts``) or it is over the
    ///   payload limit.
    @discardableResult
    public func send<E: Event>(_ event: E, to run: RunID, key: String? = nil, sender: String? = nil) async throws -> InboxReceipt {
        let payload = try WorkflowContext.encode(event)
        try configuration.payloadLimit.check(payload, "event '\(E.eventName)' sent to run \(run)")
        return try await send(InboxMessage(name: E.eventName, payload: payload, key: key, sender: sender), to: run)
    }

    /// Sends an event given by name and JSON payload (the CLI, the HTTP API): ``send(_:to:key:sender:)``
    /// for callers that hold no Swift type. The payload is checked against the type when the owner journals it.
    @discardableResult
    public func send(_ message: InboxMessage, to run: RunID) async throws -> InboxReceipt {
        guard let inboxes = journal as? any InboxJournal else {
            throw CairnError(.unsupportedEffect, "this journal (\(type(of: journal))) keeps no inboxes: use one that does, such as SQLiteJournal")
        }
        try configuration.payloadLimit.check(message.payload, "event '\(message.name)' sent to run \(run)")
        let receipt = try await inboxes.send(message, to: run)
        CrashPoint.reach("after-send")
        if !receipt.duplicate {
            let entry = InboxEntry(inboxSeq: receipt.inboxSeq, name: message.name, payload: message.payload, sentAt: clock.now)
            live.driver(of: run)?.inbox.send(.sent(entry))
        }
        return receipt
    }
}
