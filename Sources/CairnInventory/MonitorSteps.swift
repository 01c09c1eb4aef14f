import Cairn

/// Store keys shared by the monitor workflows.
enum MonitorKeys {
    static let input = StoreKey<MonitorInput>("input")

    /// One key per round, so that a round journals its own decision and nothing else: a key holding every
    /// decision so far would be rewritten whole each round, and the journal would grow with the square of
    /// the rounds.
    static func decision(round: Int) -> StoreKey<MonitorReport.Decision> { StoreKey("decision.\(round)") }
}

/// The parts both monitors share: remembering the input, asking a source, recording decisions.
enum MonitorSteps {
    /// What the `begin` step does next.
    enum NextRound {
        /// Play `round`.
        case play(MonitorInput, round: Int)
        /// Every cycle is done: stop with the report. `round` is the one past the last.
        case done(MonitorReport, round: Int)
        /// The run took `continueEvery` cycles: it continues as a new run, from `round`.
        case continued
    }

    /// On the start event, stores the input; on a loop event, reads it back. Then decides what comes next:
    /// a round, the report, or — every `continueEvery` rounds — a new run that goes on from here.
    static func nextRound(_ event: OneOf2<StartEvent<MonitorInput>, LoopEvent>, _ context: WorkflowContext) throws -> NextRound {
        let input: MonitorInput, round: Int
        switch event {
        case .first(let start):
            try context.store.set(MonitorKeys.input, start.input)
            (input, round) = (start.input, start.input.firstRound)
        case .second(let loop):
            guard let stored = try context.store.get(MonitorKeys.input) else {
                throw CairnError(.internalInconsistency, "the monitor's input is missing from the store", step: context.stepName)
            }
            (input, round) = (stored, loop.round + 1)
        }
        if input.cycles > 0, round > input.cycles {
            let decisions = try (input.firstRound...input.cycles).compactMap { try context.store.get(MonitorKeys.decision(round: $0)) }
            return .done(MonitorReport(sku: input.sku, decisions: decisions), round: round)
        }
        if round - input.firstRound >= input.continueEvery {
            var next = input
            next.firstRound = round
            try context.writeToStream(ProgressEvent(message: "round \(round): continuing as a new run"))
            try context.continueAsNew(next)
            return .continued
        }
        return .play(input, round: round)
    }

    /// Asks `channel` once per execution: the answer is memoised in the journal, so a resumed or
    /// retried step does not pay for the call again.
    static func ask(
        _ source: any FeedbackSource, _ channel: FeedbackQuery.Channel, sku: String, round: Int, _ context: WorkflowContext
    ) async throws -> Sentiment {
        guard let input = try context.store.get(MonitorKeys.input) else {
            throw CairnError(.internalInconsistency, "the monitor's input is missing from the store", step: context.stepName)
        }
        let draw = input.seed.map { seededDraw(seed: $0, sku: sku, round: round, channel: channel) } ?? context.random()
        let query = FeedbackQuery(channel: channel, sku: sku, round: round, draw: draw, delay: input.delay)
        return try await context.run("feedback.\(channel.rawValue)") { try await source.feedback(for: query) }
    }

    /// Commits the round's ledger entry, keeps the decision in the store under its round and reports progress.
    /// An order over the input's `approveOver` units first waits for a person's ``ApprovalEvent``.
    static func record(_ decision: MonitorReport.Decision, sku: String, _ context: WorkflowContext) async throws {
        var decision = decision
        let entry = try await ledgerEntry(for: decision, sku: sku, approveOver: try context.store.get(MonitorKeys.input)?.approveOver, context)
        decision.approval = entry.approval
        try context.commit(entry)
        try context.store.set(MonitorKeys.decision(round: decision.round), decision)
        try context.writeToStream(ProgressEvent(message: "round \(decision.round): \(entry.summary) (feedback \(decision.decision.rawValue))"))
    }

    /// Publishes the round's decision as a ``TradeRequest`` for the ``OrderStation`` to carry out, keeps it in
    /// the store under its round and reports progress: the monitor decides, the station trades.
    static func publish(_ decision: MonitorReport.Decision, sku: String, _ context: WorkflowContext) throws {
        let approveOver = try context.store.get(MonitorKeys.input)?.approveOver
        try context.publish(TradeRequest(sku: sku, round: decision.round, decision: decision.decision, votes: decision.votes, approveOver: approveOver))
        try context.store.set(MonitorKeys.decision(round: decision.round), decision)
        let verb = decision.decision == .good ? "order" : "clear out"
        try context.writeToStream(ProgressEvent(message: "round \(decision.round): asked the order station to \(verb) \(sku) (feedback \(decision.decision.rawValue))"))
    }

    /// The ledger entry for a decision: an order over `approveOver` units first waits for a person's
    /// ``ApprovalEvent``; a rejection is a ledger row of its own (`rejected`, no stock moved) naming who rejected it.
    static func ledgerEntry(for decision: MonitorReport.Decision, sku: String, approveOver: Int?, _ context: WorkflowContext) async throws -> LedgerEntry {
        var entry = LedgerEntry(sku: sku, decision: decision.decision == .good ? .order : .clear, round: decision.round, votes: decision.votes)
        if entry.decision == .order, let limit = approveOver, LedgerEntry.orderQuantity > limit {
            let approval = try await context.waitFor(ApprovalEvent.self)
            entry.approval = approval
            if !approval.approved { entry.decision = .rejected }
        }
        return entry
    }

    /// A uniform number in `0..<1` that depends only on its arguments.
    static func seededDraw(seed: UInt64, sku: String, round: Int, channel: FeedbackQuery.Channel) -> Double {
        var hash = FNV1a.hash("\(sku)/\(round)/\(channel.rawValue)".utf8, from: FNV1a.basis ^ seed)
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return Double(hash >> 11) * 0x1.0p-53
    }
}
