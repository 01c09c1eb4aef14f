import Foundation

/// Runs that start runs: children called or started, subscribers started by a publication.
extension WorkflowContext {
    /// Calls `child` with `input` and returns its result: a child run, started the first time and journaled as
    /// such (`parent_run_id`, `list --parent`), whose id is derived from this run, execution and call — so a
    /// re-run of the step (a retry, a crash, a resume) re-attaches to the same child and never starts a
    /// second — and whose result is memoised in this run's journal, so replay and later attempts never run it
    /// again. The child runs in this process (a worker that has its workflow takes it over if this process
    /// dies); its deadline is never later than this run's.
    ///
    /// ```swift
    /// let order = try await context.call(OrderStation(), input: TradeRequest(sku: "Apple", units: 10))
    /// ```
    /// - Throws: ``ChildRunFailed`` carrying the child's error when it ended failed, cancelled or timed out;
    ///   ``CairnError`` `invalid-input` when the engine has registered workflows and `child` is not one of them.
    public func call<C: Workflow>(_ child: C, input: C.Input) async throws -> C.Output {
        let key = try nextKey("call:" + C.name)
        let id = RunID.child(of: runID, execution: executionID, call: key)
        let parent = try childLink(detached: false, reportsEndAs: nil)
        return try await memoised(key) { [engine, runDeadline] in
            guard let engine else {
                throw CairnError(.internalInconsistency, "step '\(stepName)' called workflow '\(C.name)' where no child may start", step: stepName)
            }
            _ = try registration(of: child, doing: "called")
            return try await engine.callChild(child, input: input, id: id, parent: parent, deadline: runDeadline)
        }
    }

    /// Starts `child` with `input` at this step's commit, without waiting for it (a transactional outbox: the
    /// child's start is journaled in the commit's transaction, so it exists exactly when the commit does, and
    /// this process drives it once the commit is durable — or any worker that knows its workflow does). Its id is
    /// derived from this run, execution and start, like ``call(_:input:)``'s.
    ///
    /// Its end comes back as a ``ChildRunEnded`` event when a step of this workflow consumes `ChildRunEnded<C>`.
    /// Cancelling this run cancels the child unless it is `detached`; a child that is not detached gets no
    /// deadline later than this run's.
    /// - Returns: the child's run id.
    /// - Throws: ``CairnError`` `invalid-input` when the input does not encode or the runs are nested too deep
    ///   (a cycle of workflows starting each other), or the engine has registered workflows and `child` is not one.
    @discardableResult
    public func start<C: Workflow>(_ child: C, input: C.Input, detached: Bool = false) throws -> RunID {
        let key = try nextKey("start:" + C.name)
        let id = RunID.child(of: runID, execution: executionID, call: key)
        let ended = ChildRunEnded<C>.eventName
        let parent = try childLink(detached: detached, reportsEndAs: graph.acceptedNames.contains(ended) ? ended : nil)
        let registration = try registration(of: child, doing: "started")
        try registration.graph.validate()
        let record = try RunStarted.beginning(child, graph: registration.graph, input: input, id: id, at: clock.now,
                                              deadline: detached ? nil : runDeadline, payloadLimit: payloadLimit, parent: parent)
        try mutate { $0.effects.starts.append(OutgoingRun(record: record, registration: registration, publication: nil)) }
        return id
    }

    /// Publishes `event` at this step's commit: every workflow the engine knows that starts on its type
    /// (``Subscriber``) gets one new run with the event as its input, journaled in the commit's transaction and
    /// linked to this run (`list --parent`); its id is derived from this run, execution, publication and
    /// subscriber, so it starts once, whatever crashes. The event is journaled in this run, marked published: it
    /// goes to none of this run's steps, and a publication nobody subscribes to is kept and shown all the same.
    /// The step need not declare the type: the publisher knows only the event.
    public func publish<E: Event>(_ event: E) throws {
        let payload = try encode(event, "event '\(E.eventName)' published by step '\(stepName)'")
        let key = try nextKey("publish:" + E.eventName)
        let subscribers = engine?.subscribers(of: E.eventName) ?? []
        let parent = try childLink(detached: true, reportsEndAs: nil)
        let now = clock.now
        let records = try subscribers.map { subscriber in
            try subscriber.beginning(payload, RunID.child(of: runID, execution: executionID, call: "\(key)/\(subscriber.name)"), parent, now)
        }
        try mutate { state in
            state.effects.sent.append(OutgoingEvent(name: E.eventName, payload: payload, value: event, published: true))
            let publication = state.effects.sent.count - 1
            state.effects.starts += zip(records, subscribers).map { OutgoingRun(record: $0, registration: $1, publication: publication) }
        }
    }

    /// The link of a run this execution starts, one deeper than this run.
    /// - Throws: ``CairnError`` `invalid-input` past ``ParentLink/maximumDepth``.
    private func childLink(detached: Bool, reportsEndAs: String?) throws -> ParentLink {
        let depth = (runParent?.depth ?? 0) + 1
        guard depth <= ParentLink.maximumDepth else {
            throw CairnError(.invalidInput, "step '\(stepName)' would start a run \(depth) runs deep, past the limit of "
                + "\(ParentLink.maximumDepth): workflows that start each other in a cycle never end; break the cycle", step: stepName)
        }
        return ParentLink(run: runID, executionID: executionID, detached: detached, reportsEndAs: reportsEndAs, depth: depth)
    }

    /// How this engine drives runs of `child`: its registration, when the engine has registered workflows (a
    /// worker, which knows only those, must be able to drive it too), else one made for it.
    private func registration<C: Workflow>(of child: C, doing verb: String) throws -> WorkflowRegistration {
        guard let registry = engine?.registry, !registry.isEmpty else { return WorkflowRegistration(child) }
        guard let registered = registry[C.name] else {
            throw CairnError(.invalidInput, "step '\(stepName)' \(verb) workflow '\(C.name)', which is not registered: register it "
                + "beside " + registry.keys.sorted().map { "'\($0)'" }.joined(separator: ", "), step: stepName)
        }
        return registered
    }
}
