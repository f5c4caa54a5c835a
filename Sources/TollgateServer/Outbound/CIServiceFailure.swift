import TollgateLifecycle

/// A call to a CI service (GitLab, Azure DevOps) that failed, explained: what the service said
/// and what to do about it.
public struct CIServiceFailure: Error, CustomStringConvertible {
    /// Whether trying again later may succeed (no answer, 429, 5xx).
    public var retryable: Bool
    /// The HTTP status, when there was an answer.
    public var status: Int?
    public var message: String
    /// How long the service asked to be left alone.
    public var retryAfter: Duration?

    public var description: String { message }
    var executorError: ExecutorError {
        ExecutorError(
            retryable: retryable, message: message,
            retryAfter: retryAfter.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 })
    }

    /// A failure the HTTP layer reports (no answer, 429, 5xx), worded for `service`.
    init(_ failure: OutboundHTTP.Failure, service: String, what: String) {
        retryable = failure.retryable
        status = failure.status
        retryAfter = failure.retryAfter
        message =
            switch failure.status {
            case 429?: "\(service) is rate-limiting requests (429) when \(what); will try again"
                + (failure.retryAfter.map { " after \(max(1, $0.components.seconds)) s" } ?? "")
            case let status? where status >= 500: "\(service) answered \(status) when \(what); will try again"
            default: failure.description
            }
    }

    init(retryable: Bool, status: Int?, message: String, retryAfter: Duration? = nil) {
        self.retryable = retryable
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }
}

/// A failed GitLab call.
public typealias GitLabFailure = CIServiceFailure
/// A failed Azure DevOps call.
typealias AzureDevOpsFailure = CIServiceFailure
