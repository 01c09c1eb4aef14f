import Cairn
import Foundation
import HTTPTypes
import Hummingbird

/// An error as the API answers it: an RFC 9457 problem document (`application/problem+json`) with the HTTP status
/// its Cairn code maps to, the one sentence of the error, and the Cairn code. A bad request is a 4xx naming what
/// was wrong; only a failure of the journal itself is a 5xx.
struct Problem: Error, Encodable {
    let type: String
    let title: String
    let status: Int
    let detail: String
    /// The Cairn error code (`invalid-input`, `run-not-found`, …).
    let code: String

    init(status: HTTPResponse.Status, code: String, detail: String) {
        self.type = "urn:cairn:problem:\(code)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.code = code
    }

    /// The problem for an error a handler threw.
    init(_ error: any Error) {
        if let problem = error as? Problem {
            self = problem
        } else if let error = error as? CairnError {
            self.init(status: Self.status(for: error.code), code: error.code.description, detail: error.message)
        } else if let error = error as? HTTPError {
            self.init(status: error.status, code: "bad-request", detail: error.body ?? error.status.reasonPhrase)
        } else {
            self.init(status: .internalServerError, code: "internal", detail: String(describing: error))
        }
    }

    /// The HTTP status of a Cairn error code: the request's fault is a 4xx, the journal's a 5xx.
    static func status(for code: CairnError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidInput, .codingFailed, .undeclaredEvent: .unprocessableContent
        case .runNotFound, .unknownWorkflow, .fileNotFound: .notFound
        case .runExists, .runOwned, .runEnded, .fingerprintMismatch: .conflict
        case .journalBusy, .journalUnavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        let body = (try? CairnJSON.encoder.encode(self)) ?? Data()
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badRequest(_ detail: String) -> Problem { Problem(status: .badRequest, code: "invalid-input", detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(status: .notFound, code: "not-found", detail: detail) }
}

/// Turns whatever a handler throws into its problem document, so no error leaves as a bare 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Problem(error).response
        }
    }
}
