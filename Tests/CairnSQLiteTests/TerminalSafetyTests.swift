@testable import CairnCLI
import CairnTesting
import Foundation
import Testing

/// Workflow data holding terminal control sequences never reaches the terminal raw.
@Suite("Terminal-safe output", .hangGuard)
struct TerminalSafetyTests {
    /// Retitles the terminal, clears it, and a C1 CSI.
    static let hostileSKU = "A\u{1b}]0;pwned\u{07}\u{1b}[2J\u{9b}31m"

    @Test("run, show, follow, replay, ledger, audit, list and sql escape control characters from workflow data; --json stays exact")
    func controlCharactersEscaped() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let input = String(decoding: try JSONSerialization.data(withJSONObject: ["sku": Self.hostileSKU, "cycles": 1, "delayMs": 0]), as: UTF8.self)
        let made = try await cairn(["run", "feedback-monitor", "--db", db, "--input", input])
        let id = try #require(made.lines.first?.split(separator: " ").dropFirst().first.map(String.init))
        var outputs = [("run", made)]
        for command in [["show", id], ["follow", id], ["replay", id], ["ledger"], ["audit", Self.hostileSKU], ["list"],
                        ["sql", "SELECT sku FROM ledger_entry"]] {
            outputs.append((command[0], try await cairn(command + ["--db", db])))
        }
        for (name, result) in outputs {
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let bytes = Array((result.stdout + result.stderr).utf8)
            #expect(!bytes.contains(0x1b) && !bytes.contains(0x07), "\(name) printed a raw control character")
            #expect(!(result.stdout + result.stderr).unicodeScalars.contains("\u{9b}"), "\(name) printed a raw C1 control")
        }
        #expect(outputs[0].1.stdout.contains(#"A\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m"#))
        let json = try await cairn(["sql", "--json", "--db", db, "SELECT sku FROM ledger_entry"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]])
        #expect(rows.first?["sku"] == Self.hostileSKU)
    }

    @Test("a refusal's first word is capitalized only when it is a plain word: a path, a run id, a program or an option stays as written")
    func sentences() {
        #expect(Exit.sentence("the journal is newer") == "The journal is newer")
        #expect(Exit.sentence("can't read it") == "Can't read it")
        for kept in ["journal.dump exists already; back up to a new file", "pg_dump could not back up", "--batch must be between 1 and 10000.",
                     "ab88f750-72d1-4c30-aa77-fa0bee0e4218 is not a run here", "Already a sentence", ""] {
            #expect(Exit.sentence(kept) == kept)
        }
    }

    @Test("table columns align by display width: wide and combining characters, abbreviated long values")
    func displayWidth() {
        #expect(TerminalText.width("日本") == 4)
        #expect(TerminalText.width("e\u{301}") == 1)
        #expect(TerminalText.width("🍎") == 2)
        let lines = Table(header: ["A", "B"], rows: [["日本", "x"], ["ab", "y"]]).lines
        #expect(lines == ["A     B", "日本  x", "ab    y"])
        let long = Table(header: ["A", "B"], rows: [[String(repeating: "z", count: 200), "w"]]).lines
        #expect(TerminalText.width(long[1]) == Table.cellLimit + 3 && long[1].hasSuffix("…  w"))
        #expect(TerminalText.safe("a\nb\u{7f}") == #"a\nb\u{7f}"#)
        #expect(TerminalText.safe("a\nb", keepingNewlines: true) == "a\nb")
    }
}
