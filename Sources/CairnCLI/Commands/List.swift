import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs, newest first.",
        discussion: """
            Status is one of pending, running, waiting, completed, failed, cancelled, timed_out — or \
            interrupted: running, but no live process owns it; `cairn resume` finishes it.

            Examples:
              cairn list
              cairn list --status interrupted --json
              cairn list --workflow feedback-monitor
            """
    )

    @Option(help: ArgumentHelp("Only runs with this status (interrupted included).", valueName: "status"))
    var status: String?

    @Option(help: ArgumentHelp("Only runs of this workflow.", valueName: "name"))
    var workflow: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        let words = RunStatus.allCases.map(\.rawValue) + ["interrupted"]
        if let status, !words.contains(status) {
            throw ValidationError("Unknown status '\(status)': use one of \(words.joined(separator: ", ")).")
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        do {
            let runs = try await environment.existingJournal().runs(status: status, workflow: workflow)
            let output = environment.output
            if output.json {
                output.json(runs.map { run -> [String: Any] in
                    var object: [String: Any] = [
                        "runId": run.runID, "workflow": run.workflow, "status": run.displayStatus,
                        "createdAt": Self.time(run.createdAt),
                    ]
                    object["finishedAt"] = run.finishedAt.map(Self.time)
                    object["seconds"] = run.finishedAt.map { $0.timeIntervalSince(run.createdAt) }
                    object["owner"] = run.interrupted || run.status.isTerminal ? nil : run.leaseOwner
                    object["originRunId"] = run.originRunID
                    return object
                })
                return
            }
            guard !runs.isEmpty else { return output.line("no runs") }
            let rows = runs.map { run in
                [run.runID, run.workflow + (run.originRunID.map { " (fork of \($0.prefix(8)))" } ?? ""), run.displayStatus, Self.time(run.createdAt),
                 String(format: "%.1f s", (run.finishedAt ?? Date()).timeIntervalSince(run.createdAt))]
            }
            Table(header: ["RUN", "WORKFLOW", "STATUS", "STARTED", "DURATION"], rows: rows).lines.forEach(output.line)
        } catch {
            throw Exit.fail(error)
        }
    }

    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}

/// A plain text table: columns padded to their widest cell.
struct Table {
    let header: [String]
    let rows: [[String]]

    var lines: [String] {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
    }
}
