import HTTPTypes
import Hummingbird

/// A request for a path the API has, with a method it does not take there, is a 405 naming the methods it takes
/// (and an `Allow` header), not the 404 the router would answer.
struct UndeclaredMethod<Context: RequestContext>: RouterMiddleware {
    /// The methods of each path, parameters written `{name}`.
    let paths: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = methods(of: request.uri.path), !allowed.contains(request.method) else { throw error }
            let names = allowed.map(\.rawValue)
            var response = Problem(status: .methodNotAllowed, code: "method-not-allowed",
                                   detail: "\(request.uri.path) takes \(names.joined(separator: " and ")), not \(request.method.rawValue)").response
            response.headers[.allow] = names.joined(separator: ", ")
            return response
        }
    }

    /// The methods of the API path `path` matches, if it matches one.
    private func methods(of path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return paths.first { pattern, _ in
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }?.value
    }
}
