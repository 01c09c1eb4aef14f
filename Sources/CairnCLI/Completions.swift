import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

/// Shell completion beyond options: the registered workflows' names, and run ids from the journal named by
/// `--db` on the line being completed (else `$CAIRN_DB`, else `./cairn.sqlite`), newest first.
enum Completions {
    /// What was typed of the word being completed. swift-argument-parser 1.8.2 cuts the prefix it hands over
    /// from the word `index` places past the subcommand's own words rather than from `words[index]`; its length
    /// (the cursor's place in the word) is right.
    private static func typed(_ words: [String], _ index: Int, _ cursorPrefix: String) -> String {
        words.indices.contains(index) ? String(words[index].prefix(cursorPrefix.count)) : cursorPrefix
    }

    static let workflows = CompletionKind.custom { words, index, cursorPrefix in
        let prefix = typed(words, index, cursorPrefix)
        return CairnCLI.workflows.map(\.name).filter { $0.hasPrefix(prefix) }.sorted()
    }

    static let runs = CompletionKind.custom { words, index, cursorPrefix in
        let prefix = typed(words, index, cursorPrefix)
        let path = words.firstIndex(of: "--db").flatMap { words.indices.contains($0 + 1) ? words[$0 + 1] : nil }
            ?? ProcessInfo.processInfo.environment["CAIRN_DB"] ?? "cairn.sqlite"
        guard prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }),
              let journal = try? ReadOnlyJournal(path: path, extensions: CairnCLI.journalExtensions),
              let rows = try? journal.rows("SELECT run_id FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY created_at DESC LIMIT 50",
                                           [String(prefix.count), prefix.lowercased()]) else { return [] }
        return rows.rows.compactMap { row in row.first.flatMap { if case .text(let id) = $0 { id } else { nil } } }
    }
}
