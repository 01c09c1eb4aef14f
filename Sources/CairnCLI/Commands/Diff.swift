import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Diff: CairnSubcommand {
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

    /// `diff --json`.
    struct Document: Encodable {
        struct Entry: Encodable {
            let seq: Int
            let event: String
        }

        let first: RunID
        let second: RunID
        let events: [Int]
        let firstDifference: Int?
        let onlyInFirst: [Entry]
        let onlyInSecond: [Entry]
        let reordered: Int
    }

    func run(in environment: CommandEnvironment) async throws {
        let ids = [try environment.runID(first), try environment.runID(second)]
        let journal = try await environment.inspectableJournal()
        var canonical: [[String]] = []
        for id in ids {
            _ = try await environment.summary(of: id, in: journal)
            canonical.append(try await journal.records(for: id).flatMap(\.events).map { "\($0.name) \(CanonicalJSON.text($0.payload))" })
        }
        let firstDifference = zip(canonical[0], canonical[1]).enumerated().first { $0.element.0 != $0.element.1 }.map { $0.offset + 1 }
            ?? (canonical[0].count == canonical[1].count ? nil : min(canonical[0].count, canonical[1].count) + 1)
        // Content differences: what one run journaled and the other did not, whatever the order.
        func only(_ mine: [String], _ theirs: [String]) -> [Document.Entry] {
            var remaining = Dictionary(theirs.map { ($0, 1) }, uniquingKeysWith: +)
            return mine.enumerated().compactMap { index, event in
                if let count = remaining[event], count > 0 {
                    remaining[event] = count - 1
                    return nil
                }
                return Document.Entry(seq: index + 1, event: event)
            }
        }
        let onlyFirst = only(canonical[0], canonical[1]), onlySecond = only(canonical[1], canonical[0])
        let moved = zip(canonical[0], canonical[1]).filter { $0 != $1 }.count - min(onlyFirst.count, onlySecond.count)
        let output = environment.output
        if output.json {
            return output.json(Document(first: ids[0], second: ids[1], events: canonical.map(\.count), firstDifference: firstDifference,
                                        onlyInFirst: onlyFirst, onlyInSecond: onlySecond, reordered: max(0, moved)))
        }
        guard let firstDifference else {
            return output.line("the runs' \(canonical[0].count) events are the same")
        }
        output.line("the runs agree up to seq \(firstDifference - 1) (\(canonical[0].count) events in the first run, \(canonical[1].count) in the second)")
        for (title, list) in [("only in the first run:", onlyFirst), ("only in the second run:", onlySecond)] where !list.isEmpty {
            output.line(title)
            for item in list { output.line("  seq \(item.seq)  \(item.event)") }
        }
        if moved > 0 {
            output.line("\(moved) more event(s) are the same in both runs, journaled in another order (concurrent steps)")
        }
    }
}
