import Foundation
import Hummingbird

/// What a plug-in adds to the API: read-only queries over its own tables (the inventory's audit and ledger), each a
/// `GET` path answered with JSON, and their path items for the served OpenAPI document — so the contract a client
/// reads, the route↔contract test and the fuzzer all see them.
///
/// ## Usage
/// ```swift
/// APIExtension(paths: InventoryAPIDocument.paths, queries: [
///     APIQuery("/v1/inventory/ledger", parameters: ["sku"]) { request in try ledger(sku: request.query("sku")) },
/// ])
/// ```
public struct APIExtension: Sendable {
    /// The path items, as they are written under the document's `paths:` (two spaces in), appended to it when served.
    public let paths: String
    public let queries: [APIQuery]

    public init(paths: String, queries: [APIQuery]) {
        self.paths = paths
        self.queries = queries
    }
}

/// One `GET` path of a plug-in (`{name}` for a path parameter, as the contract writes it) and how it is answered.
public struct APIQuery: Sendable {
    public let path: String
    /// The query parameters it takes: any other is a 400 naming it.
    public let parameters: Set<String>
    let answer: @Sendable (Request) async throws -> any Encodable & Sendable

    public init(_ path: String, parameters: Set<String> = [], answer: @escaping @Sendable (Request) async throws -> any Encodable & Sendable) {
        self.path = path
        self.parameters = parameters
        self.answer = answer
    }

    /// What a query is asked: its path and query parameters.
    public struct Request: Sendable {
        let pathParameters: [String: String]
        let queryParameters: [String: String]

        /// A parameter of the path (`{sku}`).
        public func path(_ name: String) -> String { pathParameters[name] ?? "" }

        /// A query parameter, when given.
        public func query(_ name: String) -> String? { queryParameters[name] }

        /// The error for a parameter that was given but is wrong: a 400 problem whose detail is `detail`.
        public func invalid(_ detail: String) -> any Error { Problem.badRequest(detail) }
    }
}

extension CairnAPI.Route {
    /// The route of a plug-in's query: its parameters checked, its answer the JSON body.
    init(_ query: APIQuery) {
        self.init(method: .get, path: query.path) { _, request, context in
            var parameters: [String: String] = [:]
            for (name, value) in request.uri.queryParameters {
                let name = String(name)
                guard query.parameters.contains(name) else {
                    throw Problem.badRequest("unknown query parameter '\(name)'"
                        + (query.parameters.isEmpty ? "; this path takes none" : "; the parameters are \(query.parameters.sorted().joined(separator: ", "))"))
                }
                guard parameters[name] == nil else { throw Problem.badRequest("the query parameter '\(name)' is given twice") }
                parameters[name] = String(value)
            }
            let names = query.path.matches(of: /\{([^}]+)\}/).map { String($0.1) }
            let pathParameters = Dictionary(uniqueKeysWithValues: names.map { ($0, context.parameters.get($0) ?? "") })
            return try CairnAPI.json(try await query.answer(APIQuery.Request(pathParameters: pathParameters, queryParameters: parameters)))
        }
    }
}
