public import ArgumentParser
import Cairn
import Foundation

/// Options every command accepts, before or after the command's name.
public struct GlobalOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("""
        The journal: an SQLite file, or a PostgreSQL database as postgres://user@host:port/database \
        (?sslmode=require|verify-full, &sslrootcert=ca.pem). Default: $CAIRN_DB, or ./cairn.sqlite.
        """, valueName: "path|url"))
    var db: String?

    @Flag(name: .long, help: "Print JSON instead of a table (one object per line for streaming commands).")
    var json = false

    @Flag(name: .long, help: "No colour, even on a terminal (also: NO_COLOR set).")
    var noColor = false

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical. Default: $CAIRN_LOG_LEVEL, or warning.",
                                            valueName: "level"))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("text, or json (one object per line, with run, step and attempt as keys). Default: $CAIRN_LOG_FORMAT, or text.",
                                            valueName: "format"))
    var logFormat: String?

    @Option(name: .long, help: ArgumentHelp("Seconds a run's lease lasts without renewal. Default: $CAIRN_LEASE_TTL, or 15.",
                                            valueName: "seconds"), transform: Seconds.parse)
    var leaseTTL: Seconds?

    @Option(name: .long, help: ArgumentHelp("Seconds in-flight steps get to commit after Ctrl-C or SIGTERM before the run stops without them (a second signal stops at once). Default: $CAIRN_INTERRUPT_GRACE, or 5.",
                                            valueName: "seconds"), transform: Seconds.parse)
    var interruptGrace: Seconds?

    @Option(name: .long, help: ArgumentHelp("The largest input or event payload a run may journal, in bytes. Default: $CAIRN_MAX_PAYLOAD, or 1048576 (1 MiB).",
                                            valueName: "bytes"))
    var maxPayload: Int?

    @Option(name: .long, help: ArgumentHelp("Commit records between snapshots of a run's state, which a resume starts from; 0 for none. Default: $CAIRN_SNAPSHOT_EVERY, or 1000.",
                                            valueName: "records"))
    var snapshotEvery: Int?

    /// These options where given, else the root command's.
    func merged(over root: GlobalOptions) -> GlobalOptions {
        var merged = self
        merged.db = db ?? root.db
        merged.json = json || root.json
        merged.noColor = noColor || root.noColor
        merged.logLevel = logLevel ?? root.logLevel
        merged.logFormat = logFormat ?? root.logFormat
        merged.leaseTTL = leaseTTL ?? root.leaseTTL
        merged.interruptGrace = interruptGrace ?? root.interruptGrace
        merged.maxPayload = maxPayload ?? root.maxPayload
        merged.snapshotEvery = snapshotEvery ?? root.snapshotEvery
        return merged
    }

    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["CAIRN_DB"] ?? "cairn.sqlite"
    }

    /// What another command needs to reach the same journal: ` --db PATH` (quoted for a shell), or nothing
    /// for the default.
    var databaseArgument: String {
        let path = databasePath
        guard path != "cairn.sqlite" else { return "" }
        let plain = path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+".contains($0) }
        return " --db " + (plain ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'")
    }

    /// Refuses an empty journal path, which would otherwise read as "no journal at ".
    func checkDatabasePath() throws {
        if databasePath.isEmpty { throw ValidationError("\(db == nil ? "CAIRN_DB" : "--db") is empty: give the journal's path") }
    }

    var leaseDuration: Duration {
        get throws { try Self.seconds(leaseTTL, option: "--lease-ttl", variable: "CAIRN_LEASE_TTL", standard: 15, least: 1) }
    }

    var interruptGraceDuration: Duration {
        get throws { try Self.seconds(interruptGrace, option: "--interrupt-grace", variable: "CAIRN_INTERRUPT_GRACE", standard: 5) }
    }

    /// The option's seconds, else those of the environment `variable`, else `standard`; below `least`, refused with a
    /// sentence naming where the value came from.
    private static func seconds(_ given: Seconds?, option: String, variable: String, standard: Double, least: Double = 0.001) throws -> Duration {
        if let given {
            guard given.value >= least else { throw Seconds.invalid(String(given.value), for: option, least: least) }
            return given.duration
        }
        guard let text = ProcessInfo.processInfo.environment[variable] else { return .milliseconds(Int64(standard * 1000)) }
        guard let seconds = Seconds(text), seconds.value >= least else { throw Seconds.invalid(text, for: variable, least: least) }
        return seconds.duration
    }

    var payloadLimit: PayloadLimit {
        get throws {
            let text = ProcessInfo.processInfo.environment["CAIRN_MAX_PAYLOAD"]
            guard let bytes = maxPayload ?? text.map({ Int($0) ?? 0 }) else { return .standard }
            guard (1024...(1 << 30)).contains(bytes) else {
                throw ValidationError("\(maxPayload == nil ? "CAIRN_MAX_PAYLOAD" : "--max-payload") must be a number of bytes from 1024 to 1073741824 (1 GiB); '\(maxPayload.map(String.init) ?? text ?? "")' is not")
            }
            return PayloadLimit(bytes: bytes)
        }
    }

    var snapshotInterval: Int {
        get throws {
            let text = ProcessInfo.processInfo.environment["CAIRN_SNAPSHOT_EVERY"]
            guard let records = snapshotEvery ?? text.map({ Int($0) ?? -1 }) else { return 1_000 }
            guard (0...1_000_000_000).contains(records) else {
                throw ValidationError("\(snapshotEvery == nil ? "CAIRN_SNAPSHOT_EVERY" : "--snapshot-every") must be a number of records from 0 (no snapshots) to 1000000000; '\(snapshotEvery.map(String.init) ?? text ?? "")' is not")
            }
            return records
        }
    }

    var level: String { logLevel ?? ProcessInfo.processInfo.environment["CAIRN_LOG_LEVEL"] ?? "warning" }

    var format: String { logFormat ?? ProcessInfo.processInfo.environment["CAIRN_LOG_FORMAT"] ?? "text" }
}
