import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Sql: CairnSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Query the journal, and the views of plugged-in domains, with read-only SQL.",
        discussion: """
            Query the documented views — runs, events, step_executions, side_effects, clock, and those of the \
            plugged-in domains (`cairn sql --schema` describes every column). Any statement that could write is \
            refused, whatever it is and wherever it hides (after a `;` too); nothing runs then. Queries never block \
            running steps.

            Examples:
              cairn sql "SELECT status, COUNT(*) FROM runs GROUP BY status"
              cairn sql --csv "SELECT seq, name, step FROM events WHERE run_id = '<run>' ORDER BY seq"
            """
    )

    @Argument(help: "One or more SELECT statements.")
    var query: String?

    @Flag(help: "Describe the views and their columns.")
    var schema = false

    @Flag(help: "Print CSV.")
    var csv = false

    @Option(help: ArgumentHelp("Stop the query after this many seconds. Default: 30.", valueName: "seconds"), transform: Seconds.parse)
    var timeout: Seconds?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if schema == (query != nil) { throw ValidationError("Pass a query or --schema.") }
    }

    func run(in environment: CommandEnvironment) async throws {
        let output = environment.output
        if schema { return printSchema(output) }
        var printer = QueryPrinter(output.json ? .json : csv ? .csv : .table, output)
        try await environment.queryableJournal().userQuery(query ?? "", timeout: timeout?.duration ?? .seconds(30)) { printer.take($0) }
    }
    /// `sql --schema --json`: one entry per view.
    struct ViewDocument: Encodable {
        struct Column: Encodable {
            let name: String
            let meaning: String
        }

        let view: String
        let summary: String
        let columns: [Column]
    }

    private func printSchema(_ output: Output) {
        let views = JournalViews.core + CairnCLI.journalExtensions.flatMap(\.views)
        if output.json {
            return output.json(views.map { view in
                ViewDocument(view: view.name, summary: view.summary, columns: view.columns.map { ViewDocument.Column(name: $0.name, meaning: $0.meaning) })
            })
        }
        for view in views {
            output.line("\(view.name) — \(view.summary)")
            let width = view.columns.map(\.name.count).max() ?? 0
            for column in view.columns {
                output.line("  \(column.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(column.meaning)")
            }
            output.line("")
        }
    }
}
