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
    /// Starts a run from its input as JSON; throws ``CairnError`` `invalid-input` naming the field when it does not decode.
    public let start: @Sendable (Engine, Data, RunOptions) async throws -> AnyRunHandle
    /// Resumes a run from its journal; `true` reopens a dead letter (``Engine/resume(_:run:retryingDeadLetter:)``).
    public let resume: @Sendable (Engine, RunID, Bool) async throws -> AnyRunHandle
    /// Re-executes a run's recorded attempts against its journal (``Engine/replayCheck(_:run:from:)``).
    public let replayCheck: @Sendable (Engine, RunID, any JournalReader) async throws -> ReplayReport
    /// Forks a run at an event, optionally patched (``Engine/fork(_:run:at:patch:)``): the new run, the seq it
    /// was forked at, and a note when that event's commit journaled later events too.
    public let fork: @Sendable (Engine, RunID, ForkPoint, Data?) async throws -> (run: AnyRunHandle, seq: Int, note: String?)

    public init<W: Workflow>(_ workflow: W) {
        name = W.name
        graph = workflow.graph
        start = { engine, json, options in
            let input: W.Input
            do {
                input = try JSONDecoder().decode(W.Input.self, from: json)
            } catch {
                throw CairnError(.invalidInput, "the input of '\(W.name)' is not valid: \(InputError.describe(error))")
            }
            return AnyRunHandle(try await engine.start(workflow, input: input, options: options))
        }
        resume = { engine, run, retry in AnyRunHandle(try await engine.resume(workflow, run: run, retryingDeadLetter: retry)) }
        replayCheck = { engine, run, reader in try await engine.replayCheck(workflow, run: run, from: reader) }
        fork = { engine, run, point, patch in
            let fork = try await engine.fork(workflow, run: run, at: point, patch: patch)
            return (AnyRunHandle(fork.handle), fork.seq, fork.note)
        }
    }
}

/// Sentences for input that does not decode: which field, what was wrong.
enum InputError {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return "field '\(path(context.codingPath + [key]))' is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(typeName(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "it is not valid JSON (\(context.debugDescription))" }
            return context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "a \(type)"
        }
    }
}
