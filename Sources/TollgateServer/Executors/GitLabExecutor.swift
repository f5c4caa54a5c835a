import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Runs tasks as GitLab CI pipelines.
public struct GitLabExecutor: TaskExecutor {
    public let name: String
    let settings: GitLabExecutorSettings
    let http: OutboundHTTP

    public init(name: String, settings: GitLabExecutorSettings, http: OutboundHTTP) {
        self.name = name
        self.settings = settings
        self.http = http
    }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        throw ExecutorError(retryable: false, message: "not yet")
    }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        throw ExecutorError(retryable: false, message: "not yet")
    }
}
