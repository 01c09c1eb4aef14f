public import Cairn
import Foundation

/// A workflow the `cairn` command can run: its name, graph, and how to start and resume it from JSON.
///
/// ## Usage
/// ```swift
/// await CairnCLI.main(workflows: [WorkflowRegistration(HelloWorkflow()), WorkflowRegistration(MyWorkflow())])
/// ```
public struct WorkflowRegistration: Sendable {
    /// The workflow's persisted name.
    public let name: String
    /// The workflow's graph, for validation and drawing.
    public let graph: WorkflowGraph
    let start: @Sendable (Engine, Data, RunOptions) async throws -> ErasedRun
    let resume: @Sendable (Engine, RunID) async throws -> ErasedRun
    let replayCheck: @Sendable (Engine, RunID) async throws -> ReplayReport
    let fork: @Sendable (Engine, RunID, Int, Data?) async throws -> (run: ErasedRun, note: String?)

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
            return ErasedRun(try await engine.start(workflow, input: input, options: options))
        }
        resume = { engine, run in ErasedRun(try await engine.resume(workflow, run: run)) }
        replayCheck = { engine, run in try await engine.replayCheck(workflow, run: run) }
        fork = { engine, run, seq, patch in
            let fork = try await engine.fork(workflow, run: run, at: seq, patch: patch)
            return (ErasedRun(fork.handle), fork.note)
        }
    }
}

/// A run handle with its result type erased to JSON.
struct ErasedRun: Sendable {
    let runID: RunID
    let events: RunEventStream
    let outcome: @Sendable () async -> RunOutcome
    let interrupt: @Sendable () -> Void

    init<Output>(_ handle: RunHandle<Output>) {
        runID = handle.runID
        events = handle.events
        outcome = {
            do {
                let result = try await handle.result
                return .completed(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
            } catch let error as RunError {
                return .ended(await handle.status, error)
            } catch let error as CairnError where error.code == .interrupted {
                return .interrupted
            } catch {
                return .journalFailed(error)
            }
        }
        interrupt = { handle.interrupt() }
    }
}

/// How a run the CLI drove ended.
enum RunOutcome: Sendable {
    /// The result, as JSON.
    case completed(String)
    case ended(RunStatus, RunError)
    case interrupted
    case journalFailed(any Error)
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
