import Cairn
import CairnInventory
import CairnSQLite
import CairnTesting
import Foundation
import Testing

/// A journal SQLite finds damaged: writing commands refuse it in one sentence, leaving it as it is;
/// `db check` lists the damage instead of failing.
@Suite("Damaged journals", .hangGuard)
struct DamageTests {
    /// A journal of 100 finished runs with three of its pages overwritten.
    func damagedJournal() async throws -> String {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension])
        let engine = Engine(journal: journal)
        for index in 0..<100 { _ = try await engine.run(HelloWorkflow(), input: HelloInput(name: "n\(index)")) }
        journal.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try #require(try handle.seekToEnd() > 20 * 4096, "the journal has pages to damage")
        try handle.seek(toOffset: 12 * 4096)
        try handle.write(contentsOf: Data((0..<(3 * 4096)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        try handle.close()
        return path
    }

    @Test("writing commands refuse a damaged journal with one sentence naming the damage and what to do; the file is untouched")
    func writingRefused() async throws {
        let path = try await damagedJournal()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for command in [["run", "hello"], ["resume", "--all"]] {
            let result = try await cairn(command + ["--db", path])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("is damaged") && lines[0].contains("cairn db check"), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("db check lists what integrity_check finds, exits 1, and prints nothing raw")
    func checkListsDamage() async throws {
        let path = try await damagedJournal()
        let check = try await cairn(["db", "check", "--db", path, "--json"])
        #expect(check.status == 1 && check.stderr.isEmpty, "\(check.stderr)")
        let problems = jsonObject(check.stdout)["problems"] as? [String] ?? []
        #expect(problems.contains { $0.hasPrefix("sqlite integrity: ") && $0.contains("Page") }, "\(problems)")
    }
}
