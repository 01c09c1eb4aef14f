import Cairn
public import Foundation
import PostgresNIO

/// Where a PostgreSQL journal is: a `postgres://user[:password]@host[:port]/database[?sslmode=…[&sslrootcert=…]]` URL,
/// as `--db` and `CAIRN_DB` take it. The password comes from the URL, else `PGPASSWORD`, else the file `CAIRN_DB_PASSWORD_FILE`
/// names; it is never printed — ``description`` is the URL with the password redacted, and so is every error.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let user: String
    public let database: String
    let password: String?
    /// `disable` (the default), `require` (encrypted, the server's certificate not checked) or `verify-full`.
    public let sslMode: String
    /// With `verify-full`: the PEM file of the certificate authorities to trust instead of the system's (`sslrootcert`),
    /// for a server whose certificate a private authority signed; read as the URL is parsed.
    public let sslRootCertificate: String?
    private let trustRoots: [NIOSSLCertificate]?

    /// Whether `text` names a PostgreSQL journal rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `url`; `environment` supplies `PGPASSWORD` and `CAIRN_DB_PASSWORD_FILE` when the URL has no password.
    /// - Throws: `invalid-input`, one sentence naming what is wrong, the password redacted.
    public init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let redacted = Self.redacted(url)
        guard Self.isURL(url), let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw CairnError(.invalidInput, "'\(redacted)' is not a PostgreSQL URL: write postgres://user:password@host:5432/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw CairnError(.invalidInput, "the URL \(redacted) names no user: write postgres://user@\(host)/…")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw CairnError(.invalidInput, "the URL \(redacted) names no database: end it with /database")
        }
        var sslMode = "disable", sslRootCertificate: String?
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", let mode) where ["disable", "require", "verify-full"].contains(mode): sslMode = mode
            case ("sslmode", let mode):
                throw CairnError(.invalidInput, "sslmode '\(mode)' in \(redacted) is not one of disable, require, verify-full")
            case ("sslrootcert", let path) where !path.isEmpty: sslRootCertificate = path
            case (let name, _):
                throw CairnError(.invalidInput, "the URL \(redacted) has parameter '\(name)', which Cairn does not take; it takes sslmode and sslrootcert")
            }
        }
        if let sslRootCertificate {
            guard sslMode == "verify-full" else {
                throw CairnError(.invalidInput, "sslrootcert in \(redacted) names whom to trust, which only sslmode=verify-full checks: add it")
            }
            guard let roots = try? NIOSSLCertificate.fromPEMFile(sslRootCertificate), !roots.isEmpty else {
                throw CairnError(.fileNotFound, "cannot read a PEM certificate from \(sslRootCertificate) (sslrootcert in \(redacted))")
            }
            trustRoots = roots
        } else {
            trustRoots = nil
        }
        var password = components.password.map { $0.removingPercentEncoding ?? $0 }
        if password == nil { password = environment["PGPASSWORD"] }
        if password == nil, let file = environment["CAIRN_DB_PASSWORD_FILE"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CairnError(.fileNotFound, "cannot read the password file \(file) (CAIRN_DB_PASSWORD_FILE)")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.database = database.removingPercentEncoding ?? database
        self.password = password
        self.sslMode = sslMode
        self.sslRootCertificate = sslRootCertificate
    }

    /// The URL with its password (if any) replaced by `***`.
    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)" + (sslMode == "disable" ? "" : "?sslmode=\(sslMode)")
            + (sslRootCertificate.map { "&sslrootcert=\($0)" } ?? "")
    }

    /// `text` with the password of a URL's user part replaced by `***`, for errors about a URL that may not parse.
    public static func redacted(_ text: String) -> String {
        text.replacing(/^([a-z]+:\/\/[^:@\/]*):[^@\/]*@/) { "\($0.1):***@" }
    }

    /// The client's configuration: TLS as `sslmode` asks.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: clientTLS)
    }

    private var tlsConfiguration: TLSConfiguration? {
        switch sslMode {
        case "require":
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        case "verify-full":
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let trustRoots { configuration.trustRoots = .certificates(trustRoots) }
            return configuration
        default: return nil
        }
    }

    private var clientTLS: PostgresClient.Configuration.TLS { tlsConfiguration.map { .require($0) } ?? .disable }

    /// A single connection's configuration, with the same TLS.
    var connectionConfiguration: PostgresConnection.Configuration {
        get throws {
            let tls: PostgresConnection.Configuration.TLS = try tlsConfiguration.map { try .require(.init(configuration: $0)) } ?? .disable
            return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
    }
}
