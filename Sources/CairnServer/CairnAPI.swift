public import Cairn
import Foundation
import HTTPTypes
public import Hummingbird
public import Prometheus

/// The journal capabilities the API serves over: listing runs, inboxes, cancel requests — no storage type.
public typealias ServedJournal = InspectableJournal & InboxJournal & CancelRequestingJournal

/// The HTTP API of `cairn serve`: every path of `Schemas/openapi.yaml`, over a journal, the engine that drives the
/// runs it starts, and the registered workflows. JSON bodies are the read model's, spelled as `--json` spells
/// them (``CairnJSON``); errors are RFC 9457 problem documents (``Problem``).
///
/// ## Usage
/// ```swift
/// let api = CairnAPI(journal: journal, engine: engine, workflows: registrations)
/// let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 8080)))
/// ```
public struct CairnAPI: Sendable {
    let journal: any ServedJournal
    let engine: Engine
    let workflows: [String: WorkflowRegistration]
    let token: String?
    /// The largest request body read: the engine's payload limit and room for the envelope.
    let bodyLimit: Int
    /// Ends the event streams and interrupts the runs it started at a graceful shutdown: run it beside the server.
    public let streams = EventStreams()
    /// Where the process's metrics are collected (swift-metrics bootstrapped with Prometheus), for `/metrics`.
    let metrics: PrometheusCollectorRegistry?
    /// The plug-ins' queries (the inventory's audit and ledger), served beside the API's own routes.
    let extensions: [APIExtension]
    /// How long an event stream may say nothing before it writes a comment line.
    let heartbeat: Duration

    /// - Parameters:
    ///   - token: when set, every request but `/healthz` and the contract needs `Authorization: Bearer <token>`.
    ///   - metrics: the registry the process's metrics go to; `/metrics` serves it (a 404 without one).
    ///   - extensions: the plug-ins' queries, served and documented with the API's own paths.
    ///   - heartbeat: how long an event stream may say nothing before it writes a comment line (`: heartbeat`).
    public init(journal: any ServedJournal, engine: Engine, workflows: [WorkflowRegistration], token: String? = nil,
                metrics: PrometheusCollectorRegistry? = nil, extensions: [APIExtension] = [], heartbeat: Duration = .seconds(15)) {
        self.metrics = metrics
        self.heartbeat = heartbeat
        self.extensions = extensions
        self.journal = journal
        self.engine = engine
        self.workflows = Dictionary(workflows.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.token = token
        self.bodyLimit = engine.configuration.payloadLimit.bytes + 64 * 1024
    }

    /// One route of the API: a method, a path (`{name}` for a parameter, as the contract writes it) and its handler.
    struct Route: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let handle: @Sendable (CairnAPI, Request, BasicRequestContext) async throws -> Response
    }

    /// Every route, once: the router registers these, and a test holds them to the paths of `Schemas/openapi.yaml`.
    static let routes: [Route] = [
        Route(method: .get, path: "/") { _, _, _ in text(WebPage.html, type: "text/html; charset=utf-8") },
        Route(method: .get, path: "/runs/{runId}") { _, _, context in
            _ = try runID(context)
            return text(WebPage.html, type: "text/html; charset=utf-8")
        },
        Route(method: .get, path: "/healthz") { _, _, _ in try json(["status": "ok"]) },
        Route(method: .get, path: "/openapi.yaml") { api, _, _ in text(api.contract, type: "application/yaml") },
        Route(method: .get, path: "/cairn.schema.json") { _, _, _ in text(OpenAPIDocument.readModelSchema, type: "application/schema+json") },
        Route(method: .get, path: "/metrics") { api, _, _ in try await api.prometheus() },
        Route(method: .get, path: "/v1/workflows") { api, _, _ in
            try json(api.workflows.values.sorted { $0.name < $1.name }.map(WorkflowDescription.init))
        },
        Route(method: .get, path: "/v1/workflows/{name}") { api, _, context in try json(WorkflowDescription(try api.registration(context))) },
        Route(method: .get, path: "/v1/workflows/{name}/drawing") { api, request, context in
            try drawn(Drawing(try api.registration(context).graph), request)
        },
        Route(method: .post, path: "/v1/runs") { api, request, _ in try await api.start(request) },
        Route(method: .get, path: "/v1/runs") { api, request, _ in try await api.list(request) },
        Route(method: .get, path: "/v1/runs/{runId}") { api, _, context in try json(try await api.summary(of: try runID(context))) },
        Route(method: .get, path: "/v1/runs/{runId}/detail") { api, _, context in try await api.document(of: try runID(context)) },
        Route(method: .get, path: "/v1/runs/{runId}/drawing") { api, request, context in try await api.drawing(of: try runID(context), request) },
        Route(method: .get, path: "/v1/runs/{runId}/events") { api, request, context in try await api.events(request, context) },
        Route(method: .post, path: "/v1/runs/{runId}/inbox") { api, request, context in try await api.send(request, context) },
        Route(method: .post, path: "/v1/runs/{runId}/cancel") { api, _, context in try await api.cancel(try runID(context)) },
    ]

    /// What needs no token: health, the contract (what a client needs to learn the API) and the web page (which
    /// holds no data: it asks the API, with the token it is given).
    static func isOpen(_ path: String) -> Bool {
        ["/", "/healthz", "/openapi.yaml", "/cairn.schema.json"].contains(path) || (path.hasPrefix("/runs/") && !path.dropFirst(6).contains("/"))
    }

    /// The API's routes and the plug-ins' queries.
    var allRoutes: [Route] { Self.routes + extensions.flatMap(\.queries).map(Route.init) }

    /// Every route's method and path (`GET /v1/runs/{runId}`), as the contract writes them.
    public var paths: [String] { allRoutes.map { "\($0.method.rawValue) \($0.path)" } }

    /// The OpenAPI document served: `Schemas/openapi.yaml`, whose `paths:` come last, with the plug-ins' paths after them.
    public var contract: String { OpenAPIDocument.yaml + extensions.map(\.paths).joined() }

    /// The routes, behind the problem and token middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let routes = allRoutes
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: UndeclaredMethod(paths: Dictionary(grouping: routes, by: \.path).mapValues { $0.map(\.method) }))
        if let token { router.add(middleware: BearerToken(token: token, isOpen: Self.isOpen)) }
        // Hummingbird writes a parameter `:name`.
        func routerPath(_ path: String) -> RouterPath { RouterPath(path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")) }
        for route in routes {
            router.on(routerPath(route.path), method: route.method) { [self] request, context in try await route.handle(self, request, context) }
        }
        return router
    }

    // MARK: Runs

    /// `POST /v1/runs`: starts a run of a registered workflow; with an `id` that exists for the same workflow,
    /// answers that run (200) instead of starting a second.
    private func start(_ request: Request) async throws -> Response {
        let body = try await Self.object(request, limit: bodyLimit, allowed: ["workflow", "input", "id"])
        guard case .string(let name)? = body["workflow"] else { throw Problem.badRequest("the body needs \"workflow\": the name of a registered workflow") }
        guard let registration = workflows[name] else {
            throw CairnError(.unknownWorkflow, "unknown workflow '\(name)'; the workflows are \(workflows.keys.sorted().joined(separator: ", "))")
        }
        var id: RunID?
        if let given = body["id"] {
            guard case .string(let text) = given, let parsed = RunID(text) else { throw Problem.badRequest("\"id\" must be a run id (a UUID)") }
            id = parsed
        }
        /// The run of this id that exists already: answered when it is of this workflow, refused otherwise.
        func existing(_ run: RunSummary) throws -> Response {
            guard run.workflow == name else {
                throw CairnError(.runExists, "run \(run.runID) exists already and belongs to workflow '\(run.workflow)'")
            }
            return try Self.json(run)
        }
        if let id, let run = try await journal.summary(of: id) { return try existing(run) }
        let input = try JSONEncoder().encode(body["input"] ?? .object([:]))
        let handle: AnyRunHandle
        do {
            handle = try await registration.start(engine, input, RunOptions(id: id))
        } catch let error as CairnError where error.code == .runExists {
            // Another request started this id between the look-up and the start: its run is the answer, once its
            // start is journaled (it may be being appended right now).
            guard let id else { throw error }
            let deadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < deadline {
                if let run = try await journal.summary(of: id) { return try existing(run) }
                await journal.nextChange(upTo: .milliseconds(100), orAfter: .milliseconds(10))
            }
            throw error
        }
        streams.started(handle)
        var response = try Self.json(try await summary(of: handle.runID), status: .created)
        response.headers[.location] = "/v1/runs/\(handle.runID)"
        return response
    }

    /// `GET /v1/runs`: newest first, filtered in the journal (`status`, repeatable; `workflow`; `parent`), paged
    /// (`limit` 1…500, default 50; `offset`); the total in `X-Total-Count`.
    private func list(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        let statuses = try Set(parameters.getAll("status").map { word in
            guard let status = RunQuery.Status(word: String(word)) else {
                throw Problem.badRequest("status '\(word)' is not one of \(RunQuery.Status.words.joined(separator: ", "))")
            }
            return status
        })
        let parent = try parameters.get("parent").map { text -> RunID in
            guard let id = RunID(text) else { throw Problem.badRequest("parent '\(text)' is not a run id") }
            return id
        }
        let limit = try Self.integer(parameters.get("limit"), "limit", in: 1...500) ?? 50
        let offset = try Self.integer(parameters.get("offset"), "offset", in: 0...Int(Int32.max)) ?? 0
        let page = try await journal.runs(RunQuery(statuses: statuses, workflow: parameters.get("workflow"), parent: parent,
                                                   limit: limit, offset: offset))
        var response = try Self.json(page.runs)
        response.headers[HTTPField.Name("X-Total-Count")!] = "\(page.total)"
        return response
    }

    /// `POST /v1/runs/{runId}/inbox`: sends an event to the run, durable when answered (202).
    private func send(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try Self.runID(context)
        let body = try await Self.object(request, limit: bodyLimit, allowed: ["name", "payload", "key"])
        guard case .string(let name)? = body["name"] else { throw Problem.badRequest("the body needs \"name\": the event's name") }
        var key: String?
        if let given = body["key"] {
            guard case .string(let text) = given, !text.isEmpty else { throw Problem.badRequest("\"key\" must be a non-empty string") }
            key = text
        }
        let payload = try JSONEncoder().encode(body["payload"] ?? .object([:]))
        let summary = try await summary(of: id)
        try workflows[summary.workflow]?.checkExternalEvent(name, payload: payload)
        let receipt = try await engine.send(InboxMessage(name: name, payload: payload, key: key, sender: "http"), to: id)
        return try Self.json(SendReceipt(runId: id, event: name, receipt: receipt), status: .accepted)
    }

    /// `POST /v1/runs/{runId}/cancel`: cancels the run (200 with its summary); one another process owns is asked to
    /// cancel at its next lease renewal (202).
    private func cancel(_ id: RunID) async throws -> Response {
        _ = try await summary(of: id)
        do {
            try await engine.cancel(run: id)
            return try Self.json(try await summary(of: id))
        } catch let error as CairnError where error.code == .runOwned {
            try await journal.requestCancel(of: id)
            return try Self.json(try await summary(of: id), status: .accepted)
        }
    }

    /// `GET /v1/runs/{runId}/detail`: the run whole, as `cairn show --json` prints it.
    private func document(of id: RunID) async throws -> Response {
        guard let detail = try await journal.detail(of: id) else { throw CairnError(.runNotFound, "no run \(id)") }
        return try Self.json(RunDocument(detail, forks: try await journal.allRuns(RunQuery(forkedFrom: id, limit: 500))))
    }

    /// `GET /v1/runs/{runId}/drawing`: the path the run took, and the runs its steps started.
    private func drawing(of id: RunID, _ request: Request) async throws -> Response {
        guard let detail = try await journal.detail(of: id) else { throw CairnError(.runNotFound, "no run \(id)") }
        guard let registration = workflows[detail.summary.workflow] else {
            throw CairnError(.unknownWorkflow, "run \(id) is of workflow '\(detail.summary.workflow)', which this server does not register")
        }
        let trace = Drawing.Trace(detail, children: try await journal.allRuns(RunQuery(parent: id, limit: 500)))
        return try Self.drawn(Drawing(registration.graph, trace: trace), request)
    }

    /// A drawing in the `format` the request asks for: `mermaid` (the default), `dot`, `html` or `svg`.
    static func drawn(_ drawing: Drawing, _ request: Request) throws -> Response {
        switch request.uri.queryParameters.get("format") ?? "mermaid" {
        case "mermaid": text(drawing.mermaid, type: "text/plain; charset=utf-8")
        case "dot": text(drawing.dot, type: "text/vnd.graphviz; charset=utf-8")
        case "html": text(drawing.html, type: "text/html; charset=utf-8")
        case "svg": text(drawing.svg, type: "image/svg+xml")
        case let other: throw Problem.badRequest("format '\(other)' is not one of mermaid, dot, html, svg")
        }
    }

    /// `GET /metrics`: the process's metrics in Prometheus's text format, with the inbox depth read now.
    private func prometheus() async throws -> Response {
        guard let metrics else { throw Problem.notFound("this server collects no metrics") }
        metrics.makeGauge(descriptor: MetricNameDescriptor(namespace: "cairn", metricName: "inbox_pending", unitName: "rows",
                                                           helpText: "Inbox rows their runs' owners have not journaled yet."))
            .set(Double(try await journal.pendingInboxRows()))
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return Self.text(String(decoding: buffer, as: UTF8.self), type: "text/plain; version=0.0.4; charset=utf-8")
    }

    // MARK: Helpers

    func summary(of id: RunID) async throws -> RunSummary {
        guard let summary = try await journal.summary(of: id) else { throw CairnError(.runNotFound, "no run \(id)") }
        return summary
    }

    private func registration(_ context: BasicRequestContext) throws -> WorkflowRegistration {
        let name = context.parameters.get("name") ?? ""
        guard let registration = workflows[name] else {
            throw CairnError(.unknownWorkflow, "unknown workflow '\(name)'; the workflows are \(workflows.keys.sorted().joined(separator: ", "))")
        }
        return registration
    }

    static func runID(_ context: BasicRequestContext) throws -> RunID {
        let text = context.parameters.get("runId") ?? ""
        guard let id = RunID(text) else { throw Problem.badRequest("'\(text)' is not a run id (a UUID)") }
        return id
    }

    static func integer(_ text: String?, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// The request body as a JSON object with only `allowed` keys.
    static func object(_ request: Request, limit: Int, allowed: Set<String>) async throws -> [String: JSONValue] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw Problem(status: .contentTooLarge, code: "payload-too-large", detail: "the body is over \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        if let problem = InputError.syntaxProblem(in: data) { throw Problem.badRequest("the body is not JSON: \(problem)") }
        guard case .object(let object)? = JSONValue(json: data) else { throw Problem.badRequest("the body must be a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Problem.badRequest("the body has an unknown field '\(unknown)'; the fields are \(allowed.sorted().joined(separator: ", "))")
        }
        return object
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try CairnJSON.encoder.encode(value))))
    }

    static func text(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
