import ArgumentParser
import Cairn
import CairnPostgres
import CairnSQLite
import Foundation

extension Db {
    struct Copy: CairnSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy an SQLite journal into an empty PostgreSQL journal: every run, record and inbox row, and the domains' tables.",
            discussion: """
                For moving up from one machine to many workers. The file is only read. Afterwards the copy is checked: \
                row counts table by table, and every copied run's records read back equal to the file's. Runs that \
                have not ended become claimable by the workers on the new journal.

                Examples:
                  cairn db copy --from cairn.sqlite --to postgres://cairn@db.internal/cairn
                """
        )

        @Option(help: ArgumentHelp("The SQLite journal to copy.", valueName: "path"))
        var from: String

        @Option(help: ArgumentHelp("The PostgreSQL journal to copy into (a postgres:// URL; its database holds no runs).", valueName: "url"))
        var to: String

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func validate() throws {
            guard PostgresLocation.isURL(to) else {
                throw ValidationError("--to takes a postgres:// URL, not '\(PostgresLocation.redacted(to))'")
            }
            guard !PostgresLocation.isURL(from) else { throw ValidationError("--from takes the path of an SQLite journal") }
        }

        func run(in environment: CommandEnvironment) async throws {
            let source = try ReadOnlyJournal(path: from, extensions: CairnCLI.journalExtensions)
            let location = try PostgresLocation(to)
            let destination = try await PostgresJournal.open(location, domains: CairnCLI.journalExtensions.flatMap(\.postgresMigrations),
                                                             leaseTTL: .seconds(60))
            defer { Task { await destination.close() } }
            let output = environment.output
            let report = try await JournalCopy(source: source, destination: destination) { done, all in
                if !output.json, done % 100 == 0 || done == all { FileHandle.standardError.write(Data("copied \(done) of \(all) runs\n".utf8)) }
            }.copy()
            await destination.close()
            if output.json { return output.json(report) }
            let tables = report.tables.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            output.line("copied \(report.runs) run(s), \(report.records) record(s), \(report.inboxRows) inbox row(s)"
                + (tables.isEmpty ? "" : ", \(tables)") + " from \(from) to \(location)")
            output.line("checked: \(report.tablesChecked) table(s) with equal row counts, \(report.runsChecked) run(s) read back identical"
                + (report.prunedSkipped > 0 ? "; \(report.prunedSkipped) pruned run(s) not copied (their history is gone), so counts were not compared" : ""))
        }
    }
}
