import Cairn
import Foundation
import HTTPTypes
import Hummingbird

extension CairnAPI {
    /// `GET /v1/runs/{runId}/events`: the run's progress. With `Accept: text/event-stream`, Server-Sent Events —
    /// each event's `id` its position, resumed after `Last-Event-ID` (or `?after=`), ending with an `end` event
    /// carrying the run's outcome once the run has ended; else one JSON page of up to `limit` (1…1000, default
    /// 100) events after `after`.
    func events(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try Self.runID(context)
        _ = try await summary(of: id)
        let parameters = request.uri.queryParameters
        let lastEventID = try Self.integer(request.headers[HTTPField.Name("Last-Event-ID")!], "Last-Event-ID", in: 0...Int(Int32.max))
        let afterParameter = try Self.integer(parameters.get("after"), "after", in: 0...Int(Int32.max))  // checked even when unused
        let after = lastEventID ?? afterParameter ?? 0
        guard request.headers[.accept]?.contains("text/event-stream") == true else {
            let limit = try Self.integer(parameters.get("limit"), "limit", in: 1...1000) ?? 100
            return try Self.json(try await journal.streamedEvents(for: id, from: after + 1, limit: limit).map(ProgressLine.init))
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            try await stream(id, after: after, into: &writer)
            try await writer.finish(nil)
        })
    }

    /// Writes the run's events after position `after` as they are journaled, then its end. Each write waits for
    /// the connection to take it, so a client that stops reading holds one page in the server, not the history.
    /// A stream with nothing to say for ``heartbeat`` gets a comment line, so proxies keep it open and a client that
    /// went away is noticed (its write fails) while the run waits.
    @concurrent private func stream(_ id: RunID, after: Int, into writer: inout any ResponseBodyWriter) async throws {
        var position = after
        var lastWrite = ContinuousClock.now
        while !Task.isCancelled, !streams.isClosing {
            if ContinuousClock.now - lastWrite >= heartbeat {
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                streams.heartbeatWritten()
                lastWrite = .now
            }
            let ended = try await journal.summary(of: id)?.finishedAt != nil  // read before the page: nothing journaled after it is missed
            let page = try await journal.streamedEvents(for: id, from: position + 1, limit: 256)
            for event in page {
                try await writer.write(ByteBuffer(string: "id: \(event.position)\nevent: progress\ndata: \(try CairnJSON.text(ProgressLine(event)))\n\n"))
                position = event.position
                lastWrite = .now
            }
            if page.isEmpty, ended {
                let outcome = RunOutcome(try await summary(of: id))
                try await writer.write(ByteBuffer(string: "event: end\ndata: \(try CairnJSON.text(outcome))\n\n"))
                return
            }
            if page.isEmpty { await journal.nextChange(upTo: min(.seconds(1), heartbeat), orAfter: .milliseconds(250)) }
        }
    }
}
