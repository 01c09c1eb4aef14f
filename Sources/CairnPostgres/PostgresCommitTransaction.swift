import Cairn
import Dispatch
import Foundation
import Logging
import PostgresNIO

/// The step's commit transaction on PostgreSQL, for ``DatabaseEffect``s, which are written synchronously (one effect
/// serves both backends): each statement runs on the append's connection, inside its transaction, while the effect
/// waits on a thread of its own — never on one of the concurrency pool's. `?` placeholders become `$1`, `$2`, …
struct PostgresCommitTransaction: CommitTransaction {
    let connection: PostgresConnection
    let logger: Logger

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        _ = try query(sql, arguments)
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [[SQLValue]] {
        let query = PostgresQuery(unsafeSQL: Self.numbered(sql), binds: try Self.bindings(arguments))
        let result = BlockingResult<[[SQLValue]]>()
        let (connection, logger) = (connection, logger)
        Task {
            result.set(await Result {
                try await connection.answered(query, logger: logger).collect().map { row in row.map(SQLValue.init) }
            })
        }
        return try result.wait()
    }

    /// Applies `effects` in order on a dispatch thread, the append's task suspended meanwhile.
    static func apply(_ effects: [any DatabaseEffect], origin: CommitOrigin, on connection: PostgresConnection, logger: Logger) async throws {
        let transaction = PostgresCommitTransaction(connection: connection, logger: logger)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { for effect in effects { try effect.apply(in: transaction, origin: origin) } })
            }
        }
    }

    /// `?` outside quotes → `$n`.
    static func numbered(_ sql: String) -> String {
        var out = "", number = 0, quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func bindings(_ values: [SQLValue]) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let data): bindings.append(ByteBuffer(bytes: data))
            }
        }
        return bindings
    }
}

extension SQLValue {
    /// A cell of a result row, by its PostgreSQL type.
    init(_ cell: PostgresCell) {
        guard cell.bytes != nil else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2, .int4, .int8: self = (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .float4, .float8, .numeric: self = (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
        case .bytea: self = (try? cell.decode(ByteBuffer.self)).map { .blob(Data($0.readableBytesView)) } ?? .null
        case .bool: self = (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .uuid: self = (try? cell.decode(UUID.self)).map { .text($0.uuidString.lowercased()) } ?? .null  // as RunID prints it
        default: self = (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }
}

/// A value handed from an async task to a thread that waits for it.
private final class BlockingResult<T: Sendable>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    func set(_ result: Result<T, any Error>) {
        self.result = result
        semaphore.signal()
    }

    func wait() throws -> T {
        semaphore.wait()
        return try result!.get()
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
