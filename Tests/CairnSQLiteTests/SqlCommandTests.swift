import CairnTesting
import Foundation
import Testing

/// `cairn sql` is bounded: in time, in memory (rows stream a page at a time), in what it lets run.
@Suite("cairn sql bounds", .hangGuard)
struct SqlCommandTests {
    static let counting = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10000) SELECT x, 'row ' || x AS label FROM c"

    func journal() async throws -> String {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        _ = try await cairn(["run", "hello", "--db", db])
        return db
    }

    @Test("a query that never ends is stopped at --timeout with one sentence and exit 1")
    func timeout() async throws {
        let db = try await journal()
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
        let result = try await cairn(["sql", "--db", db, "--timeout", "0.5", endless])
        #expect(result.status == 1)
        #expect(result.stderr.contains("was stopped; narrow it, or allow more with --timeout"), "\(result.stderr)")
    }

    @Test("many rows stream in pages: every row printed once, in order, the table aligned by its first page", arguments: ["table", "csv", "json"])
    func streamsEveryRow(format: String) async throws {
        let db = try await journal()
        let flags = ["table": [], "csv": ["--csv"], "json": ["--json"]][format] ?? []
        let result = try await cairn(["sql", "--db", db] + flags + [Self.counting])
        #expect(result.status == 0, "\(result.stderr)")
        switch format {
        case "json":
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            #expect(rows.map { $0["x"] as? Int } == (1...10_000).map { $0 })
        default:
            let lines = result.lines
            #expect(lines.count == 10_001)
            #expect(lines.dropFirst().map { Int($0.prefix { $0.isNumber }) } == (1...10_000).map { $0 })
            if format == "table" {
                // Aligned by the first page's widths: the label starts where the header's does, also after row 256.
                let column = try #require(lines[0].range(of: "LABEL")).lowerBound.utf16Offset(in: lines[0])
                #expect(lines[300].dropFirst(column).hasPrefix("row 300"), "\(lines[300])")
            }
        }
    }

    @Test("pragmas that report a setting run; ones that change it, and fts3_tokenizer, are refused, nothing changed")
    func pragmasAndPointers() async throws {
        let db = try await journal()
        let mode = try await cairn(["sql", "--db", db, "PRAGMA journal_mode"])
        #expect(mode.status == 0 && mode.stdout.contains("wal"), "\(mode.stderr)")
        for refused in ["PRAGMA journal_mode=DELETE", "PRAGMA main.journal_mode = delete", "SELECT fts3_tokenizer('simple')"] {
            let result = try await cairn(["sql", "--db", db, refused])
            #expect(result.status == 65, "\(refused): \(result.stderr)")
        }
        #expect(try await cairn(["sql", "--db", db, "PRAGMA journal_mode"]).stdout.contains("wal"))
    }
}
