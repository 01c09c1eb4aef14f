import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

extension Db {
    struct Prune: CairnSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the history of runs that finished before a time, keeping their summaries and the ledger.",
            discussion: """
                Each pruned run keeps its row in `list` and `show` (status, input, result, times, and when it was \
                pruned), its takeover and end records, and every ledger row its steps committed; its events, \
                stream, store writes, side effects and step records are deleted, so it can no longer be replayed, \
                forked or exported. Unfinished runs (running, waiting, interrupted) and dead letters are never \
                pruned. Runs are deleted a batch per transaction, so live runs keep committing meanwhile; the \
                space freed is reused by new commits (an SQLite file does not shrink; on PostgreSQL, autovacuum \
                makes it reusable).

                Example:
                  cairn db prune --finished-before 30d
                """)

        /// `db prune --json`.
        struct Document: Encodable {
            let finishedBefore: Date
            let pruned: Int
            let unfinished: Int
            let deadLetters: Int
            /// SQLite's free pages; absent on PostgreSQL (autovacuum reclaims the space).
            let freePages: Int?
        }

        @Option(help: ArgumentHelp("Prune runs that finished before this time: a date (2026-12-01), a date and time, or an age (90m, 24h, 30d).",
                                   valueName: "time"), transform: PointInTime.parse)
        var finishedBefore: PointInTime

        @Option(help: ArgumentHelp("Runs per transaction.", valueName: "runs"))
        var batch = 100

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func validate() throws {
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 10000.") }
        }

        func run(in environment: CommandEnvironment) async throws {
            let cutoff = finishedBefore.date
            let output = environment.output
            let report = try await environment.existingJournal().prune(finishedBefore: cutoff, batchSize: batch) { pruned in
                if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("  pruned \(pruned) run(s)…\n".utf8)) }
            }
            if output.json {
                return output.json(Document(finishedBefore: cutoff, pruned: report.pruned, unfinished: report.unfinished,
                                            deadLetters: report.deadLetters, freePages: report.freePages))
            }
            if cutoff > Date() { output.line("note: \(Timestamp.text(cutoff)) is in the future: every finished run qualifies") }
            let space = report.freePages.map { "\($0) free page(s) in the file for new commits to reuse" }
                ?? "autovacuum makes their space reusable"
            output.line("pruned the history of \(report.pruned) run(s) that finished before \(Timestamp.text(cutoff)); \(space)")
            if report.unfinished > 0 {
                output.line("skipped \(report.unfinished) unfinished run(s) started before then (running, waiting or interrupted): "
                    + "a run's history is pruned only once it has finished")
            }
            if report.deadLetters > 0 {
                output.line("kept \(report.deadLetters) dead letter(s): a fixed binary may reopen them (cairn resume RUN --retry-broken)")
            }
        }
    }
}
