import ArgumentParser
public import Cairn
import Foundation


extension Output {
    /// Prints one progress event: its message when it has one, else its name and payload; with --json,
    /// one object per line.
    func progress(_ event: StreamedEvent) {
        let line = ProgressLine(event)
        if json {
            self.json(line)
        } else if case .string(let message)? = line.payload["message"] {
            self.line("  \(event.step): \(message)")
        } else {
            self.line("  \(event.step): \(event.name) \(line.payload.text)")
        }
    }

    /// Prints how a run ended — the one outcome printer of `run`, `follow`, `resume`, `fork` and `replay` — and
    /// returns the contract's exit code for it. A failure's sentence goes to stderr too.
    @discardableResult
    func outcome(_ outcome: RunOutcome) -> Int32 {
        if json { self.json(outcome) }
        let took = outcome.durationSeconds.map(DurationText.format)
        if outcome.completed {
            if !json {
                line("completed" + (took.map { " in \($0)" } ?? ""))
                line("result: \(outcome.result.map(TerminalText.value) ?? "null")")
            }
            return 0
        }
        if outcome.interrupted {
            if !json { line("interrupted; resume it with: cairn resume \(outcome.runID)") }
            return Exit.interrupted
        }
        if !json, let took { line("\(outcome.status) after \(took)") }
        if let error = outcome.error {
            return Exit.fail(message: error.message, code: outcome.status == RunStatus.running.rawValue ? Exit.code(for: error.code) : Exit.runFailed)
                .rawValue
        }
        return Exit.runFailed
    }

    /// Prints query rows: a table, or with --json an array of objects (keyed `camelCase` when asked, as
    /// every document of the read model is; `cairn sql` keeps the user's column names).
    public func rows(_ result: QueryResult, empty: String? = nil, camelCaseKeys: Bool = false) {
        if json {
            self.json(result.records(camelCase: camelCaseKeys))
        } else if result.rows.isEmpty {
            line(empty ?? "(no rows)")
        } else {
            Table(header: result.columns.map { $0.uppercased() }, rows: result.rows.map { $0.map(\.text) }).lines.forEach(line)
        }
    }

    /// Prints query rows as CSV (RFC 4180 quoting).
    func csv(_ result: QueryResult) {
        exact(result.columns.map(CSV.field).joined(separator: ","))
        for row in result.rows { exact(row.map { CSV.field($0.text) }.joined(separator: ",")) }
    }
}
