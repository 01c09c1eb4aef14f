import Foundation
import HTTPTypes
import Hummingbird

/// With a token, every request but those for open paths (health, the contract, the page) must carry
/// `Authorization: Bearer <token>`; the comparison takes the same time whatever the bytes, so a caller cannot learn
/// the token a byte at a time.
struct BearerToken<Context: RequestContext>: RouterMiddleware {
    let token: String
    let isOpen: @Sendable (String) -> Bool

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        if isOpen(request.uri.path) { return try await next(request, context) }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        guard let given, Self.same(Array(given.utf8), Array(token.utf8)) else {
            var response = Problem(status: .unauthorized, code: "unauthorized",
                                   detail: "this server needs `Authorization: Bearer <token>`, the token it was started with").response
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    /// Whether two byte strings are equal, in time that depends on their lengths only.
    static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
