import ArgumentParser
import Cairn
import CairnSQLite
import Foundation
import Logging

/// What a command needs: its merged options, the journal, an engine and an output.
struct CommandEnvironment {
    let options: GlobalOptions
    let output: Output

    init(_ local: GlobalOptions, root: GlobalOptions) throws {
        options = local.merged(over: root)
        output = Output(json: options.json)
        guard let level = Logger.Level(rawValue: options.level) else {
            throw ValidationError("Unknown log level '\(options.level)': use trace, debug, info, notice, warning, error or critical.")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Opens the journal, creating it when needed.
    func journal() throws -> SQLiteJournal {
        try SQLiteJournal(path: options.databasePath, leaseTTL: try options.leaseDuration)
    }

    /// Opens a journal that must exist already (for commands that only read or change existing runs).
    func existingJournal() throws -> SQLiteJournal {
        guard FileManager.default.fileExists(atPath: options.databasePath) else {
            throw CairnError(.fileNotFound, "no journal at \(options.databasePath); pass --db, or start a run first")
        }
        return try journal()
    }

    /// Opens the journal for reading only (inspection commands).
    func readOnlyJournal() throws -> ReadOnlyJournal {
        try ReadOnlyJournal(path: options.databasePath)
    }

    func engine(_ journal: SQLiteJournal) -> Engine {
        Engine(journal: journal, logger: Logger(label: "cairn"))
    }

    /// The registered workflow called `name`.
    func workflow(named name: String) throws -> WorkflowRegistration {
        let known = CairnCLI.workflows
        guard let registration = known.first(where: { $0.name == name }) else {
            throw CairnError(.unknownWorkflow, "unknown workflow '\(name)'; the workflows are \(known.map(\.name).sorted().joined(separator: ", "))")
        }
        return registration
    }

    /// Parses a run id argument.
    func runID(_ text: String) throws -> RunID {
        guard let id = RunID(text) else { throw ValidationError("'\(text)' is not a run id: expected a UUID such as 6f1c…-….") }
        return id
    }
}

/// Writes command output to stdout, a line at a time and unbuffered, so progress streams through pipes.
struct Output {
    let json: Bool

    func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// One JSON document on one line.
    func json(_ object: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line(String(decoding: data, as: UTF8.self))
    }

    /// A JSON value parsed from text, for embedding payloads in JSON output.
    static func parsed(_ text: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
    }
}
