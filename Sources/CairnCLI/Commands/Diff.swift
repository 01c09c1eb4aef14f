import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two runs' events: where they first differ, then every difference.",
        discussion: """
            The way to read a "what if": diff a run and its fork.

            Example:
              cairn diff 6f1c2d3e-0000-4000-8000-000000000001 0a9b8c7d-0000-4000-8000-000000000002
            """
    )

    @Argument(help: "The first run.")
    var first: String

    @Argument(help: "The second run.")
    var second: String

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        do {
            let ids = [try environment.runID(first).description, try environment.runID(second).description]
            let journal = try ReadOnlyJournal(path: environment.options.databasePath)
            let events = try ids.map { id -> [(name: String, payload: String)] in
                guard try journal.rows("SELECT 1 FROM runs WHERE run_id = ?", [id]).rows.count == 1 else {
                    throw CairnError(.runNotFound, "no run \(id) in \(journal.path)")
                }
                return try journal.rows("SELECT name, payload FROM events WHERE run_id = ? ORDER BY seq", [id]).rows.map { ($0[0].text, $0[1].text) }
            }
            var differences: [(seq: Int, a: String, b: String)] = []
            for index in 0..<max(events[0].count, events[1].count) {
                let a = index < events[0].count ? events[0][index] : nil, b = index < events[1].count ? events[1][index] : nil
                if a?.name != b?.name || !Self.sameJSON(a?.payload, b?.payload) {
                    differences.append((index + 1, a.map { "\($0.name) \($0.payload)" } ?? "(no event)", b.map { "\($0.name) \($0.payload)" } ?? "(no event)"))
                }
            }
            let output = environment.output
            if output.json {
                output.json(["first": ids[0], "second": ids[1], "events": [events[0].count, events[1].count],
                             "firstDifference": differences.first?.seq ?? NSNull(),
                             "differences": differences.map { ["seq": $0.seq, "first": $0.a, "second": $0.b] }])
                return
            }
            guard let firstDifference = differences.first else {
                return output.line("the runs' \(events[0].count) events are the same")
            }
            output.line("the runs agree up to seq \(firstDifference.seq - 1); \(differences.count) event(s) differ "
                + "(\(events[0].count) events in the first run, \(events[1].count) in the second)")
            for difference in differences {
                output.line("  seq \(difference.seq)")
                output.line("    - \(difference.a)")
                output.line("    + \(difference.b)")
            }
        } catch {
            throw Exit.fail(error)
        }
    }

    /// JSON equality that ignores key order.
    static func sameJSON(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == b }
        let parse = { (text: String) in try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? NSObject }
        guard let x = parse(a), let y = parse(b) else { return a == b }
        return x.isEqual(y)
    }
}
