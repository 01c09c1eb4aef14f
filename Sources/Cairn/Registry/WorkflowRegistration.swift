public import Foundation

/// A workflow registered by name, so that a process that knows runs only by their journal (the CLI, a worker,
/// the HTTP server) can start, resume, replay and fork them with JSON in and JSON out.
///
/// ## Usage
/// ```swift
/// let registry = [WorkflowRegistration(HelloWorkflow()), WorkflowRegistration(MyWorkflow())]
/// let run = try await registry[0].start(engine, Data(#"{"name": "Ada"}"#.utf8), RunOptions())
/// ```
public struct WorkflowRegistration: Sendable {
    /// The workflow's persisted name.
    public let name: String
    /// The workflow's graph, for validation and drawing.
    public let graph: WorkflowGraph
    /// The workflow's version (``Workflow/version``).
    public let version: String?
    /// The input's fields when its type describes them (``DescribedInput``); else `nil`, and ``inputKind`` says what it is.
    public let inputFields: [InputField]?
    /// What the input is, in words: `a JSON object`, `an integer`, `a string`, ….
    public let inputKind: String
    /// Starts a run from its input as JSON; throws ``CairnError`` `invalid-input` naming the field when it does not decode.
    public let start: @Sendable (Engine, Data, RunOptions) async throws -> AnyRunHandle
    /// Resumes a run from its journal; `true` reopens a dead letter (``Engine/resume(_:run:retryingDeadLetter:unfinishedOnly:)``).
    public let resume: @Sendable (Engine, RunID, Bool) async throws -> AnyRunHandle
    /// Takes a run over to drive it, refusing one that has ended (`run-ended`): a worker's claim.
    public let claim: @Sendable (Engine, RunID) async throws -> AnyRunHandle
    /// Re-executes a run's recorded attempts against its journal (``Engine/replayCheck(_:run:from:)``).
    public let replayCheck: @Sendable (Engine, RunID, any JournalReader) async throws -> ReplayReport
    /// Forks a run at an event, optionally patched (``Engine/fork(_:run:at:patch:)``): the new run, the seq it
    /// was forked at, and a note when that event's commit journaled later events too.
    public let fork: @Sendable (Engine, RunID, ForkPoint, Data?) async throws -> (run: AnyRunHandle, seq: Int, note: String?)
    /// The event name a run of it starts on when a step publishes one (``Subscriber``); `nil` when it subscribes to none.
    public let topic: String?
    /// Drives a run of it that a durable commit of another run started (``Engine/drive(_:started:)``).
    let drive: @Sendable (Engine, RunStarted) async throws -> AnyRunHandle
    /// The first record of a run started by a commit of another run (a published event as its input).
    let beginning: @Sendable (_ input: Data, _ id: RunID, _ parent: ParentLink, _ at: Date) throws -> RunStarted
    /// The start of a run of `input` (JSON) that no process drives yet, validated, for a worker to claim
    /// (``ClaimingJournal/enqueue(_:)``, `cairn run --detach`).
    public let queued: @Sendable (_ input: Data, _ id: RunID, _ at: Date) throws -> RunStarted

    /// Checks that `payload` is an event named `name` that the workflow's runs accept from outside.
    /// - Throws: ``CairnError`` `invalid-input`: the workflow does not accept the name (listing those it does),
    ///   or the payload does not decode as its type (naming the field).
    public func checkExternalEvent(_ name: String, payload: Data) throws {
        guard let type = graph.accepted.first(where: { $0.eventName == name }) else {
            let accepted = graph.acceptedNames
            throw CairnError(.invalidInput, "workflow '\(self.name)' does not accept '\(name)' from outside: "
                + (accepted.isEmpty ? "it accepts no events" : "it accepts " + accepted.map { "'\($0)'" }.joined(separator: ", ")), event: name)
        }
        _ = try InputError.decode(type, from: payload, what: "the payload of '\(name)'")
    }

    public init<W: Workflow>(_ workflow: W) {
        name = W.name
        let graph = workflow.graph
        self.graph = graph
        version = workflow.version
        inputFields = (W.Input.self as? any DescribedInput.Type)?.fields
        inputKind = InputError.kindName(of: W.Input.self)
        start = { engine, json, options in
            let input = try InputError.decode(W.Input.self, from: json, what: "the input of '\(W.name)'")
            return AnyRunHandle(try await engine.start(workflow, input: input, options: options))
        }
        resume = { engine, run, retry in AnyRunHandle(try await engine.resume(workflow, run: run, retryingDeadLetter: retry)) }
        claim = { engine, run in AnyRunHandle(try await engine.resume(workflow, run: run, unfinishedOnly: true)) }
        replayCheck = { engine, run, reader in try await engine.replayCheck(workflow, run: run, from: reader) }
        drive = { engine, record in AnyRunHandle(try await engine.drive(workflow, started: record)) }
        topic = (W.self as? any Subscriber.Type)?.topic
        let validation = Result { try graph.validate() }
        beginning = { [graph] json, id, parent, at in
            try validation.get()
            let input = try InputError.decode(W.Input.self, from: json, what: "the input of '\(W.name)'")
            return try RunStarted.beginning(workflow, graph: graph, input: input, id: id, at: at, deadline: nil, payloadLimit: PayloadLimit(bytes: .max),
                                            parent: parent)
        }
        queued = { [graph] json, id, at in
            try validation.get()
            let input = try InputError.decode(W.Input.self, from: json, what: "the input of '\(W.name)'")
            return try RunStarted.beginning(workflow, graph: graph, input: input, id: id, at: at, deadline: nil, payloadLimit: .standard, parent: nil)
        }
        fork = { engine, run, point, patch in
            let fork = try await engine.fork(workflow, run: run, at: point, patch: patch)
            return (AnyRunHandle(fork.handle), fork.seq, fork.note)
        }
    }
}
