public import CairnPostgres
import Foundation
import Logging
public import PostgresNIO
public import Testing

/// The PostgreSQL server the tests use (both test targets, through this support module): `CAIRN_TEST_POSTGRES`, a URL to a database the tests may create databases
/// from (`.ci/run` starts a throw-away cluster and sets it; see `Scripts/postgres.sh`).
public enum PostgresServer {
    public static let url = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// Why the PostgreSQL tests did not run, printed with each skipped test.
    public static let skipReason: Comment = "CAIRN_TEST_POSTGRES is not set: no PostgreSQL server to test against (`eval \"$(Scripts/postgres.sh start)\"` starts one, as .ci/run does)"

    /// A new, empty database on the server, dropped after `body`.
    public static func withFreshDatabase<T>(_ body: (PostgresLocation) async throws -> T) async throws -> T {
        let server = try PostgresLocation(try #require(url))
        let name = "cairn_t_\(UInt64.random(in: 0...UInt64.max))"
        try await admin(server) { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
        do {
            let result = try await body(try PostgresLocation(try #require(url).replacingOccurrences(of: "/\(server.database)", with: "/\(name)")))
            try await admin(server) { try await $0.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger) }
            return result
        } catch {
            _ = try? await admin(server) { try await $0.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger) }
            throw error
        }
    }

    /// Runs `body` while `location`'s database refuses connections and those it had are ended — the server gone
    /// away, for that database alone — then lets connections in again.
    public static func unreachable<T>(_ location: PostgresLocation, while body: () async throws -> T) async throws -> T {
        let server = try PostgresLocation(try #require(url))
        try await admin(server) { connection in
            try await connection.query("ALTER DATABASE \(unescaped: location.database) ALLOW_CONNECTIONS false", logger: logger)
            try await connection.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(location.database)", logger: logger)
        }
        let allow = { _ = try await admin(server) { try await $0.query("ALTER DATABASE \(unescaped: location.database) ALLOW_CONNECTIONS true", logger: logger) } }
        do {
            let result = try await body()
            try await allow()
            return result
        } catch {
            try? await allow()
            throw error
        }
    }

    /// Runs `body` over a connection of its own to `location`.
    @discardableResult
    public static func admin<T>(_ location: PostgresLocation, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: location.testConfiguration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        return try await body(connection)
    }

    public static let logger = Logger(label: "cairn.postgres.tests")
}

extension PostgresLocation {
    /// A plain connection's configuration, from the password the test server's URL carries.
    var testConfiguration: PostgresConnection.Configuration {
        let password = URLComponents(string: PostgresServer.url ?? "")?.password
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}
