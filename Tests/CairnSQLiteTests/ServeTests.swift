import Cairn
import CairnInventory
import CairnServer
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `cairn serve`'s API against its contract: every route is a path of `Schemas/openapi.yaml` and back, every JSON
/// body conforms to the read model's schema, every bad request is a 4xx problem naming what was wrong, and a token
/// guards everything but `/healthz`. In-process (Hummingbird's router test client) over a real SQLite journal.
@Suite("The HTTP API", .hangGuard)
struct ServeTests {
    nonisolated(unsafe) private static let schema = try! JSONSchema(contentsOf: repositoryRoot.appendingPathComponent("Schemas/cairn.schema.json"))

    /// An API over a fresh journal with the shipped workflows and the inventory's queries; `body` gets a client.
    private func withAPI(token: String? = nil, heartbeat: Duration = .seconds(15),
                         _ body: @escaping @Sendable (any TestClientProtocol, SQLiteJournal) async throws -> Void) async throws {
        try await withAPI(token: token, heartbeat: heartbeat) { client, journal, _ in try await body(client, journal) }
    }

    private func withAPI(token: String? = nil, heartbeat: Duration = .seconds(15),
                         _ body: @escaping @Sendable (any TestClientProtocol, SQLiteJournal, CairnAPI) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("api.sqlite"), extensions: [Inventory.journalExtension])
        defer { journal.close() }
        let api = try Self.api(over: journal, token: token, heartbeat: heartbeat)
        try await Application(router: api.router()).test(.router) { client in try await body(client, journal, api) }
    }

    /// The API `cairn` serves over `journal`: the shipped workflows and the inventory plug-in's queries.
    private static func api(over journal: SQLiteJournal, token: String? = nil, heartbeat: Duration = .seconds(15)) throws -> CairnAPI {
        let engine = Engine(journal: journal, workflows: Inventory.workflows)
        let inventory = Inventory.api(over: try ReadOnlyJournal(path: journal.path, extensions: [Inventory.journalExtension]))
        return CairnAPI(journal: journal, engine: engine, workflows: Inventory.workflows, token: token, extensions: [inventory],
                        heartbeat: heartbeat)
    }

    private static func body(_ json: String) -> ByteBuffer { ByteBuffer(string: json) }

    private static func json(_ response: TestResponse) -> JSONValue { JSONValue(json: Data(response.body.readableBytesView)) ?? .null }

    /// The problem document of a response, checked to have its five members and this status.
    private static func problem(_ response: TestResponse, _ status: HTTPResponse.Status) -> String {
        guard response.status == status, response.headers[.contentType] == "application/problem+json",
              case .object(let object) = json(response), object.keys.sorted() == ["code", "detail", "status", "title", "type"],
              object["status"] == .integer(Int64(status.code)), case .string(let detail)? = object["detail"] else {
            Issue.record("not a \(status.code) problem: \(response.status) \(String(buffer: response.body))")
            return ""
        }
        return detail
    }

    private static func conforms(_ response: TestResponse, to definition: String) -> Bool {
        let problems = schema.problems(json(response), against: definition)
        if !problems.isEmpty { Issue.record("\(definition): \(problems.prefix(3))") }
        return problems.isEmpty
    }

    @Test("every route is a path of openapi.yaml and every path a route; both documents are served as they are in the repository")
    func routesAreTheContract() async throws {
        // What `cairn` serves: the API's document, then the inventory's paths.
        let yaml = try ["openapi.yaml", "inventory-api.yaml"]
            .map { try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/\($0)"), encoding: .utf8) }.joined()
        var documented: [String] = [], path = "", inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") { path = String(line.dropFirst(2).dropLast()) }
            for method in ["get", "post", "put", "patch", "delete"] where line == "    \(method):" { documented.append("\(method.uppercased()) \(path)") }
        }
        #expect(documented.count > 5 && documented.contains("GET /v1/inventory/ledger"))
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("api.sqlite"), extensions: [Inventory.journalExtension])
        defer { journal.close() }
        let served = try Self.api(over: journal).paths
        let undocumented = Set(served).subtracting(documented), unserved = Set(documented).subtracting(served)
        #expect(undocumented.isEmpty && unserved.isEmpty, "served but not documented: \(undocumented); documented but not served: \(unserved)")
        let schemaFile = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/cairn.schema.json"), encoding: .utf8)
        try await withAPI { client, _ in
            let served = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(String(buffer: served.body) == yaml, "run Scripts/generate-openapi.py")
            #expect(String(buffer: try await client.execute(uri: "/cairn.schema.json", method: .get).body) == schemaFile,
                    "run Scripts/generate-openapi.py")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let workflows = try await client.execute(uri: "/v1/workflows", method: .get)
            #expect(Self.conforms(workflows, to: "workflows"))
            #expect(Self.conforms(try await client.execute(uri: "/v1/workflows/order-station", method: .get), to: "workflow"))
            _ = Self.problem(try await client.execute(uri: "/v1/workflows/nope", method: .get), .notFound)
            let undeclared = try await client.execute(uri: "/v1/runs/\(RunID())/cancel", method: .delete)
            #expect(Self.problem(undeclared, .methodNotAllowed).contains("takes POST, not DELETE") && undeclared.headers[.allow] == "POST")
            _ = Self.problem(try await client.execute(uri: "/v1/nowhere", method: .get), .notFound)
        }
    }

    @Test("starting a run answers 201 with its summary and Location; the same id again answers that run; refusals name the field")
    func startRuns() async throws {
        try await withAPI { client, _ in
            let id = RunID().description
            let started = try await client.execute(uri: "/v1/runs", method: .post,
                                                   body: Self.body(#"{"workflow": "hello", "input": {"name": "Ada"}, "id": "\#(id)"}"#))
            #expect(started.status == .created && started.headers[.location] == "/v1/runs/\(id)" && Self.conforms(started, to: "runSummary"))
            let again = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "hello", "id": "\#(id)"}"#))
            #expect(again.status == .ok && Self.json(again)["runId"] == .string(id))
            let other = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "feedback-monitor", "id": "\#(id)"}"#))
            #expect(Self.problem(other, .conflict).contains("belongs to workflow 'hello'"))
            let field = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "hello", "input": {"nam": 1}}"#))
            #expect(Self.problem(field, .unprocessableContent).contains("unknown field 'nam'"))
            let unknown = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "nope"}"#))
            #expect(Self.problem(unknown, .notFound).contains("unknown workflow 'nope'"))
            #expect(Self.problem(try await client.execute(uri: "/v1/runs", method: .post, body: Self.body("{bad")), .badRequest).contains("not JSON"))
            #expect(Self.problem(try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "hello", "x": 1}"#)),
                                 .badRequest).contains("unknown field 'x'"))
            #expect(Self.problem(try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "hello", "id": "7"}"#)),
                                 .badRequest).contains("\"id\" must be a run id"))
            let huge = ByteBuffer(string: #"{"workflow": "hello", "input": {"name": ""# + String(repeating: "a", count: 2 << 20) + #""}}"#)
            _ = Self.problem(try await client.execute(uri: "/v1/runs", method: .post, body: huge), .contentTooLarge)
        }
    }

    @Test("eight concurrent starts with one id: one run, one 201, the others answered that run (200), none refused")
    func concurrentStartsOfOneID() async throws {
        try await withAPI { client, journal in
            let id = RunID().description
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, JSONValue?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "hello", "id": "\#(id)"}"#))
                        return (response.status, Self.json(response)["runId"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .created }.count == 1 && statuses.allSatisfy { [.created, .ok].contains($0.0) && $0.1 == .string(id) },
                    "\(statuses)")
            #expect(try await journal.allRuns(RunQuery(limit: 10)).count == 1)
        }
    }

    @Test("runs are listed newest first, filtered and paged in the journal; a bad filter is a 400 naming it; an unknown run a 404")
    func listRuns() async throws {
        try await withAPI { client, journal in
            var ids: [String] = []
            for name in ["a", "b", "c"] {
                let started = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "hello", "input": {"name": "\#(name)"}}"#))
                guard case .string(let id)? = Self.json(started)["runId"] else { return }
                ids.append(id)
                try await awaitRecord(of: RunID(id)!, in: journal) { if case .runFinished = $0 { true } else { false } }
            }
            let page = try await client.execute(uri: "/v1/runs?status=completed&workflow=hello&limit=2", method: .get)
            #expect(Self.conforms(page, to: "list") && page.headers[HTTPField.Name("X-Total-Count")!] == "3")
            guard case .array(let runs) = Self.json(page) else { return }
            #expect(runs.map { $0["runId"] } == [.string(ids[2]), .string(ids[1])])
            #expect(Self.problem(try await client.execute(uri: "/v1/runs?status=done", method: .get), .badRequest).contains("status 'done'"))
            #expect(Self.problem(try await client.execute(uri: "/v1/runs?limit=0", method: .get), .badRequest).contains("limit must be"))
            #expect(Self.conforms(try await client.execute(uri: "/v1/runs/\(ids[0])", method: .get), to: "runSummary"))
            #expect(String(buffer: try await client.execute(uri: "/v1/runs/\(ids[0])/drawing", method: .get).body).hasPrefix("flowchart TD\n"))
            let svg = try await client.execute(uri: "/v1/runs/\(ids[0])/drawing?format=svg", method: .get)
            #expect(svg.headers[.contentType] == "image/svg+xml" && String(buffer: svg.body).hasPrefix("<svg "))
            #expect(String(buffer: try await client.execute(uri: "/v1/workflows/hello/drawing?format=dot", method: .get).body).hasPrefix("digraph"))
            #expect(Self.problem(try await client.execute(uri: "/v1/runs/\(ids[0])/drawing?format=png", method: .get), .badRequest)
                .contains("format 'png'"))
            let detail = try await client.execute(uri: "/v1/runs/\(ids[0])/detail", method: .get)
            #expect(Self.conforms(detail, to: "show") && Self.json(detail)["run"]?["runId"] == .string(ids[0]))
            _ = Self.problem(try await client.execute(uri: "/v1/runs/\(RunID())", method: .get), .notFound)
            _ = Self.problem(try await client.execute(uri: "/v1/runs/nope", method: .get), .badRequest)
        }
    }

    @Test("a run that waits: its events stream as SSE from Last-Event-ID and end with its outcome; sends are receipts, a repeated key a duplicate; cancel")
    func waitSendFollowCancel() async throws {
        try await withAPI { client, journal in
            let input = #"{"sku": "Apple", "cycles": 1, "delayMs": 0, "seed": 7, "approveOver": 5}"#
            let started = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "feedback-monitor", "input": \#(input)}"#))
            guard case .string(let id)? = Self.json(started)["runId"], let run = RunID(id) else { return }
            try await awaitRecord(of: run, in: journal) { $0.isWaiting }
            let approval = #"{"name": "inventory.approval", "payload": {"approved": true, "by": "web"}, "key": "k"}"#
            let sent = try await client.execute(uri: "/v1/runs/\(id)/inbox", method: .post, body: Self.body(approval))
            #expect(sent.status == .accepted && Self.json(sent)["duplicate"] == .bool(false) && Self.json(sent)["inboxSeq"] == .integer(1))
            let repeated = try await client.execute(uri: "/v1/runs/\(id)/inbox", method: .post, body: Self.body(approval))
            #expect(repeated.status == .accepted && Self.json(repeated)["duplicate"] == .bool(true))
            let wrong = try await client.execute(uri: "/v1/runs/\(id)/inbox", method: .post,
                                                 body: Self.body(#"{"name": "inventory.approval", "payload": {"approved": "yes", "by": "web"}}"#))
            #expect(Self.problem(wrong, .unprocessableContent).contains("field 'approved'"))
            try await awaitRecord(of: run, in: journal) { if case .runFinished = $0 { true } else { false } }
            let page = try await client.execute(uri: "/v1/runs/\(id)/events?after=1", method: .get)
            guard case .array(let events) = Self.json(page) else { return }
            #expect(!events.isEmpty && events.allSatisfy { Self.schema.problems($0, against: "progress").isEmpty } && events.first?["position"] == .integer(2))
            var headers = HTTPFields()
            headers[.accept] = "text/event-stream"
            headers[HTTPField.Name("Last-Event-ID")!] = "2"
            let outOfRange = try await client.execute(uri: "/v1/runs/\(id)/events?after=2147483648", method: .get, headers: headers)
            #expect(Self.problem(outOfRange, .badRequest).contains("after must be"), "a bad parameter is refused beside Last-Event-ID too")
            let stream = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: headers)
            let text = String(buffer: stream.body)
            #expect(stream.headers[.contentType] == "text/event-stream" && !text.contains("id: 1\n") && !text.contains("id: 2\n") && text.contains("id: 3\n"))
            #expect(text.hasSuffix("\n\n") && text.contains("event: end\ndata: {") && text.contains(#""status":"completed""#), "\(text)")
            _ = Self.problem(try await client.execute(uri: "/v1/runs/\(id)/inbox", method: .post, body: Self.body(approval.replacingOccurrences(of: "\"k\"", with: "\"k2\""))),
                             .conflict)
            #expect(Self.problem(try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post), .conflict).contains("already ended completed"))
            let waiting = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "feedback-monitor", "input": \#(input)}"#))
            guard case .string(let other)? = Self.json(waiting)["runId"] else { return }
            try await awaitRecord(of: RunID(other)!, in: journal) { $0.isWaiting }
            let cancelled = try await client.execute(uri: "/v1/runs/\(other)/cancel", method: .post)
            #expect(cancelled.status == .ok && Self.json(cancelled)["status"] == .string("cancelled"))
        }
    }

    @Test("a stream of a run that waits says nothing for a heartbeat, then writes a comment line; it goes on to the run's end")
    func idleStreamsHeartbeat() async throws {
        try await withAPI(heartbeat: .milliseconds(50)) { client, journal, api in
            let input = #"{"sku": "Apple", "cycles": 1, "delayMs": 0, "seed": 7, "approveOver": 5}"#
            let started = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "feedback-monitor", "input": \#(input)}"#))
            guard case .string(let id)? = Self.json(started)["runId"], let run = RunID(id) else { return }
            try await awaitRecord(of: run, in: journal) { $0.isWaiting }
            var headers = HTTPFields()
            headers[.accept] = "text/event-stream"
            async let stream = client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: headers)
            try await waitUntil("the idle stream wrote two heartbeats") { api.streams.heartbeatsWritten >= 2 }
            _ = try await client.execute(uri: "/v1/runs/\(id)/inbox", method: .post,
                                         body: Self.body(#"{"name": "inventory.approval", "payload": {"approved": true, "by": "t"}}"#))
            let text = String(buffer: try await stream.body)
            let beforeApproval = text.components(separatedBy: "inventory.approval").first ?? ""
            #expect(beforeApproval.components(separatedBy: ": heartbeat\n\n").count >= 3 && text.contains("event: end\ndata: {"), "\(text)")
        }
    }

    @Test("the inventory's audit and ledger are its CLI's --json over HTTP; a bad time, parameter or run id is a 400 naming it, an unknown run a 404")
    func auditAndLedger() async throws {
        try await withAPI { client, journal in
            let input = #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": 3}"#
            let started = try await client.execute(uri: "/v1/runs", method: .post, body: Self.body(#"{"workflow": "feedback-monitor", "input": \#(input)}"#))
            guard case .string(let id)? = Self.json(started)["runId"], let run = RunID(id) else { return }
            try await awaitRecord(of: run, in: journal) { if case .runFinished = $0 { true } else { false } }
            let audit = try await client.execute(uri: "/v1/inventory/audit/Apple?since=2020-01-01", method: .get)
            let cli = try await cairn(["audit", "Apple", "--since", "2020-01-01", "--json", "--db", journal.path])
            #expect(audit.status == .ok && JSONValue(json: Data(cli.stdout.utf8)) == Self.json(audit), "\(cli.stderr)")
            guard case .array(let decisions) = Self.json(audit) else { return }
            #expect(decisions.count == 3 && decisions.allSatisfy { $0["runId"] == .string(id) })
            #expect(Self.json(try await client.execute(uri: "/v1/inventory/audit/Apple?until=2020-01-01", method: .get)) == .array([]))
            #expect(Self.json(try await client.execute(uri: "/v1/inventory/audit/Pear", method: .get)) == .array([]))
            let ledger = try await client.execute(uri: "/v1/inventory/ledger?run=\(id)", method: .get)
            let cliLedger = try await cairn(["ledger", "--run", id, "--json", "--db", journal.path])
            #expect(ledger.status == .ok && JSONValue(json: Data(cliLedger.stdout.utf8)) == Self.json(ledger))
            guard case .array(let entries)? = Self.json(ledger)["entries"], case .array(let stock)? = Self.json(ledger)["stock"] else { return }
            #expect(entries.count == 3 && stock.map { $0["sku"] } == [.string("Apple")])
            #expect(Self.problem(try await client.execute(uri: "/v1/inventory/audit/Apple?since=Tuesday", method: .get), .badRequest)
                .contains("since 'Tuesday' is not a time"))
            #expect(Self.problem(try await client.execute(uri: "/v1/inventory/audit/Apple?from=2020-01-01", method: .get), .badRequest)
                .contains("unknown query parameter 'from'; the parameters are since, until"))
            #expect(Self.problem(try await client.execute(uri: "/v1/inventory/ledger?run=7", method: .get), .badRequest).contains("run '7'"))
            _ = Self.problem(try await client.execute(uri: "/v1/inventory/ledger?run=\(RunID())", method: .get), .notFound)
            _ = Self.problem(try await client.execute(uri: "/v1/inventory/ledger", method: .post), .methodNotAllowed)
        }
    }

    @Test("with a token every request but /healthz, the contract and the page needs it, compared in constant time; a wrong or missing one is a 401")
    func tokenGuards() async throws {
        try await withAPI(token: "s3cret") { client, _ in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/openapi.yaml", method: .get).status == .ok, "the contract is no secret")
            let page = try await client.execute(uri: "/runs/\(RunID())", method: .get)
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8"
                && String(buffer: page.body).contains("<title>Cairn</title>"), "the page holds no data: it asks the API with the token")
            _ = Self.problem(try await client.execute(uri: "/runs/\(RunID())/detail", method: .get), .unauthorized)  // only the page is open
            let missing = try await client.execute(uri: "/v1/runs", method: .get)
            #expect(Self.problem(missing, .unauthorized).contains("Authorization: Bearer") && missing.headers[.wwwAuthenticate] == "Bearer")
            var wrong = HTTPFields()
            wrong[.authorization] = "Bearer s3cres"
            _ = Self.problem(try await client.execute(uri: "/v1/runs", method: .get, headers: wrong), .unauthorized)
            var right = HTTPFields()
            right[.authorization] = "Bearer s3cret"
            #expect(try await client.execute(uri: "/v1/runs", method: .get, headers: right).status == .ok)
        }
    }
}

/// `cairn serve` as a process.
@Suite("cairn serve", .hangGuard)
struct ServeCommandTests {
    @Test("binding an address off loopback without a token is refused at start-up with one sentence, exit 64")
    func offLoopbackNeedsAToken() async throws {
        let directory = try TemporaryDirectory()
        let refused = try await cairn(["serve", "--host", "0.0.0.0", "--db", directory.path("s.sqlite")])
        #expect(refused.status == 64 && refused.stderr.contains("pass --token (or set CAIRN_TOKEN), or bind 127.0.0.1"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("s.sqlite")))
    }

    @Test("serves on the port it prints, answers, and stops on SIGTERM with exit 0")
    func servesAndStops() async throws {
        let directory = try TemporaryDirectory()
        let server = try spawnCairn(["serve", "--port", "0", "--db", directory.path("s.sqlite")])
        let said = try #require(await server.stderrUntil(" (the API's contract"), "the server said where it listens")
        let address = try #require(said.split(separator: "\n").first { $0.hasPrefix("cairn: serving ") }?.split(separator: " ")[2])
        let (body, response) = try await URLSession.shared.data(from: try #require(URL(string: "\(address)/healthz")))
        #expect((response as? HTTPURLResponse)?.statusCode == 200 && String(decoding: body, as: UTF8.self) == #"{"status":"ok"}"#)
        // A run started over HTTP, then the metrics it left: started, steps, finished, commit latency, inbox depth.
        var start = URLRequest(url: try #require(URL(string: "\(address)/v1/runs")))
        start.httpMethod = "POST"
        start.httpBody = Data(#"{"workflow": "hello", "input": {"name": "Ada"}}"#.utf8)
        let (created, _) = try await URLSession.shared.data(for: start)
        let id = try #require(JSONValue(json: created)?["runId"].flatMap { if case .string(let id) = $0 { RunID(id) } else { nil } })
        try await waitUntil("the run completed") {
            try withJournalDatabase(directory.path("s.sqlite")) { try String.fetchOne($0, sql: "SELECT status FROM run WHERE run_id = ?", arguments: [id.description]) }
                == "completed"
        }
        let (scraped, _) = try await URLSession.shared.data(from: try #require(URL(string: "\(address)/metrics")))
        let metrics = String(decoding: scraped, as: UTF8.self)
        for line in [#"cairn_runs_started_total{workflow="hello"} 1"#, #"cairn_steps_total{workflow="hello",outcome="completed"} 2"#,
                     #"cairn_runs_finished_total{workflow="hello",status="completed"} 1"#, "cairn_inbox_pending_rows 0.0",
                     #"cairn_commit_seconds_count{workflow="hello"} "#] {
            #expect(metrics.contains(line), "\(line) in \(metrics)")
        }
        server.signal(SIGTERM)
        let stopped = await server.finish()
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }
}
