import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct List: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs, newest first.",
        discussion: """
            Status is one of pending, running, waiting, completed, failed, cancelled, timed_out — or \
            interrupted: running, but no live process owns it; `cairn resume` finishes it.

            Filters combine; --status may be given several times (any of them matches). Times are a date \
            (2026-12-01), a date and time (2026-12-01T09:30:00Z), or an age back from now (90m, 24h, 7d).

            Examples:
              cairn list
              cairn list --status interrupted --json
              cairn list --status failed --status timed_out --since 24h
              cairn list --workflow feedback-monitor --until 2026-12-01
              cairn list --id 6f1c2d3e
              cairn list --limit 20 --offset 20
            """
    )

    @Option(help: ArgumentHelp("Only runs with this status (interrupted included); give it several times for any of them.",
                               valueName: "status"))
    var status: [String] = []

    @Option(help: ArgumentHelp("Only runs of this workflow.", valueName: "name"))
    var workflow: String?

    @Option(help: ArgumentHelp("Only runs started at this time or later.", valueName: "time"), transform: PointInTime.parse)
    var since: PointInTime?

    @Option(help: ArgumentHelp("Only runs started before this time.", valueName: "time"), transform: PointInTime.parse)
    var until: PointInTime?

    @Option(help: ArgumentHelp("Only runs whose id begins with this.", valueName: "prefix"))
    var id: String?

    @Option(help: ArgumentHelp("Only forks of this run.", valueName: "run"))
    var forkedFrom: String?

    @Option(help: ArgumentHelp("Only the child runs this run's steps called.", valueName: "run"))
    var parent: String?

    @Option(help: ArgumentHelp("At most this many runs. Default: 50.", valueName: "n"))
    var limit: Int = 50

    @Option(help: ArgumentHelp("Skip this many runs first (the next page).", valueName: "n"))
    var offset: Int = 0

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        _ = try RunQuery.Status.parse(status)
        if let id, id.isEmpty || !id.lowercased().allSatisfy({ $0.isHexDigit || $0 == "-" }) || id.count > 36 {
            throw ValidationError("--id takes the beginning of a run id (hex digits and dashes, such as 6f1c2d3e); '\(id)' is not one.")
        }
        if let since, let until, since.date >= until.date { throw ValidationError("--since must be before --until.") }
        if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        if offset < 0 { throw ValidationError("--offset must be 0 or more.") }
    }

    func run(in environment: CommandEnvironment) async throws {
        let query = RunQuery(
            statuses: try RunQuery.Status.parse(status), workflow: workflow,
            forkedFrom: try forkedFrom.map(environment.runID), since: since?.date, until: until?.date, idPrefix: id?.lowercased(),
            parent: try parent.map(environment.runID), limit: limit, offset: offset)
        let page = try await environment.inspectableJournal().runs(query)
        let output = environment.output
        if output.json { return output.json(page.runs) }
        guard !page.runs.isEmpty else { return output.line(page.total == 0 ? "no runs" : "no runs on this page (\(page.total) in all)") }
        // Which process (which worker) drives each run, when any on the page is driven now.
        let owned = page.runs.contains { $0.finishedAt == nil && !$0.interrupted && $0.owner != nil }
        let rows = page.runs.map { run in
            [run.runID.description, run.workflow + (run.originRunID.map { " (fork of \($0.description.prefix(8)))" } ?? ""),
             run.displayStatus, Self.time(run.createdAt),
             DurationText.of(run)] + (owned ? [run.finishedAt == nil && !run.interrupted ? run.owner ?? "" : ""] : [])
        }
        output.table(Table(header: ["RUN", "WORKFLOW", "STATUS", "STARTED", "DURATION"] + (owned ? ["OWNER"] : []), rows: rows), statusColumn: 2)
        let shown = offset + page.runs.count
        if shown < page.total { output.line("\(page.total - shown) more; see them with --offset \(shown)") }
    }

    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}

/// A plain text table: cells made terminal-safe and cut to ``cellLimit`` columns, columns padded to their
/// widest cell by display width.
struct Table {
    /// The most columns a cell takes; longer values end in `…` (`--json` and `--csv` print them whole).
    static let cellLimit = 80

    /// The header, then the rows, each cell as printed.
    private let cells: [[String]]

    init(header: [String], rows: [[String]]) {
        cells = ([header] + rows).map { row in row.map { TerminalText.abbreviated(TerminalText.safe($0), to: Self.cellLimit) } }
    }

    /// Each column's width: its widest cell.
    var widths: [Int] {
        cells[0].indices.map { column in cells.map { TerminalText.width($0[column]) }.max() ?? 0 }
    }

    var lines: [String] { lines(widths: widths) }

    /// The header and rows padded to `widths` (a table printed a page at a time keeps its first page's), the
    /// rows' cells of the columns in `paint` passed through it once padded (colour codes take no width).
    func lines(widths: [Int], paint: [Int: (String) -> String] = [:]) -> [String] {
        cells.enumerated().map { index, row in
            zip(row, widths).enumerated().map { column, cell in
                let padded = TerminalText.padded(cell.0, to: cell.1)
                return index > 0 ? paint[column].map { $0(padded) } ?? padded : padded
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}
