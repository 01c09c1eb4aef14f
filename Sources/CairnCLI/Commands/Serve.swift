import ArgumentParser
import Cairn
import CairnServer
import CairnSQLite
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

struct Serve: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP API over the journal, and drive its runnable runs as a worker does.",
        discussion: """
            One process: the API of Schemas/openapi.yaml (served at /openapi.yaml) — start, list, follow (Server-Sent \
            Events), message and cancel runs — and a worker that claims runnable runs. Binds 127.0.0.1 by default; \
            any other address needs a token (--token or CAIRN_TOKEN), which every request but /healthz and the contract must \
            carry as `Authorization: Bearer <token>`. SIGTERM or SIGINT interrupt its runs (resumable), end its event \
            streams and exit 0.

            Examples:
              cairn serve
              cairn serve --port 9000
              CAIRN_TOKEN=s3cret cairn serve --host 0.0.0.0
            """
    )

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port (0: any free one; the one taken is printed).", valueName: "port"))
    var port = 8080

    @Option(help: ArgumentHelp("A token every request must carry (default: $CAIRN_TOKEN); required off loopback.", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("How many runs its worker drives at once (runs started over HTTP are driven as well).", valueName: "n"))
    var concurrency = 8

    @Option(help: ArgumentHelp("Seconds between its worker's looks for runs whose lease expired.", valueName: "seconds"), transform: Seconds.parse)
    var poll: Seconds = Seconds("1")!

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    /// The token given, or the environment's; an empty one is none.
    private var effectiveToken: String? {
        (token ?? ProcessInfo.processInfo.environment["CAIRN_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, not \(port).") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1, not \(concurrency).") }
        if !["127.0.0.1", "::1", "localhost"].contains(host), effectiveToken == nil {
            throw ValidationError("Binding \(host) would let anyone who reaches it start and cancel runs: pass --token (or set CAIRN_TOKEN), "
                + "or bind 127.0.0.1.")
        }
    }

    func run(in environment: CommandEnvironment) async throws {
        // One engine for the API and the worker: a run is driven once in this process, whichever started it.
        let worker = try await RunWorker.forCommand(environment, label: "cairn.serve", concurrency: concurrency, poll: poll.duration)
        let (journal, engine, logger) = (worker.journal, worker.engine, worker.logger)
        // The engine's metrics (runs, steps, commit latency) go to one Prometheus registry, served at /metrics.
        let metrics = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: metrics)
        // A commit takes a millisecond or two: buckets from 100 µs, not the default's 5 ms.
        factory.defaultDurationHistogramBuckets = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                                   .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                                   .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]
        MetricsSystem.bootstrap(factory)
        // A plug-in's paths that cannot be served over this journal (its tables are SQLite's, say) are left out, and said.
        var extensions: [APIExtension] = []
        for api in CairnCLI.plugins.compactMap(\.api) {
            do { extensions.append(try await api(environment)) } catch { logger.warning("a plug-in's paths are not served: \(error)") }
        }
        let api = CairnAPI(journal: journal, engine: engine, workflows: CairnCLI.workflows, token: effectiveToken, metrics: metrics,
                           extensions: extensions)
        let host = self.host
        let app = Application(
            router: api.router(), configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "cairn"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                FileHandle.standardError.write(Data("cairn: serving http://\(host):\(port) (the API's contract at /openapi.yaml)\n".utf8))
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [worker, app, api.streams], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
        logger.info("server stopped")
    }
}
