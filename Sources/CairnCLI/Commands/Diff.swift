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
            let journal = try environment.readOnlyJournal()
            let events = try ids.map { id -> [(name: String, payload: String)] in
                guard try journal.rows("SELECT 1 FROM runs WHERE run_id = ?", [id]).rows.count == 1 else {
                    throw CairnError(.runNotFound, "no run \(id) in \(journal.path)")
                }
                return try journal.rows("SELECT name, payload FROM events WHERE run_id = ? ORDER BY seq", [id]).rows.map { ($0[0].text, $0[1].text) }
            }
            let canonical = events.map { run in run.map { "\($0.name) \(CanonicalJSON.text(Data($0.payload.utf8)))" } }
            let firstDifference = zip(canonical[0], canonical[1]).enumerated().first { $0.element.0 != $0.element.1 }.map { $0.offset + 1 }
                ?? (canonical[0].count == canonical[1].count ? nil : min(canonical[0].count, canonical[1].count) + 1)
            // Content differences: what one run journaled and the other did not, whatever the order.
            func only(_ mine: [String], _ theirs: [String]) -> [(seq: Int, event: String)] {
                var remaining = Dictionary(theirs.map { ($0, 1) }, uniquingKeysWith: +)
                return mine.enumerated().compactMap { index, event in
                    if let count = remaining[event], count > 0 {
                        remaining[event] = count - 1
                        return nil
                    }
                    return (index + 1, event)
                }
            }
            let onlyFirst = only(canonical[0], canonical[1]), onlySecond = only(canonical[1], canonical[0])
            let moved = zip(canonical[0], canonical[1]).filter { $0 != $1 }.count - min(onlyFirst.count, onlySecond.count)
            let output = environment.output
            if output.json {
                output.json(["first": ids[0], "second": ids[1], "events": [events[0].count, events[1].count],
                             "firstDifference": firstDifference.map { $0 as Any } ?? NSNull(),
                             "onlyInFirst": onlyFirst.map { ["seq": $0.seq, "event": $0.event] },
                             "onlyInSecond": onlySecond.map { ["seq": $0.seq, "event": $0.event] },
                             "reordered": max(0, moved)])
                return
            }
            guard let firstDifference else {
                return output.line("the runs' \(events[0].count) events are the same")
            }
            output.line("the runs agree up to seq \(firstDifference - 1) (\(events[0].count) events in the first run, \(events[1].count) in the second)")
            for (title, list) in [("only in the first run:", onlyFirst), ("only in the second run:", onlySecond)] where !list.isEmpty {
                output.line(title)
                for item in list { output.line("  seq \(item.seq)  \(item.event)") }
            }
            if moved > 0 {
                output.line("\(moved) more event(s) are the same in both runs, journaled in another order (concurrent steps)")
            }
        } catch {
            throw Exit.fail(error)
        }
    }
}
