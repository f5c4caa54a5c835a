import Foundation
import HTTPTypes
import Hummingbird

/// GitLab's rate-limit headers on an answer that was allowed but spent the window's last request:
/// `RateLimit-Remaining: 0` and the unix time the window resets.
struct FakeGitLabQuota: RouterMiddleware {
    typealias Context = BasicRequestContext
    let resetAt: @Sendable () -> Date?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard let reset = resetAt(), reset > Date(), response.status != .tooManyRequests else { return response }
        response.headers[GitLabHeader.rateLimitLimit] = "60"
        response.headers[GitLabHeader.rateLimitObserved] = "60"
        response.headers[GitLabHeader.rateLimitRemaining] = "0"
        response.headers[GitLabHeader.rateLimitReset] = String(Int(reset.timeIntervalSince1970.rounded(.up)))
        return response
    }
}
