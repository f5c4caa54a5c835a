import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Runs tasks as Azure Pipelines runs (the Runs API), following them until they complete.
public struct AzureDevOpsExecutor: TaskExecutor {
    public let name: String
    let settings: AzureDevOpsExecutorSettings
    let http: OutboundHTTP

    public init(name: String, settings: AzureDevOpsExecutorSettings, http: OutboundHTTP) {
        self.name = name
        self.settings = settings
        self.http = http
    }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        throw ExecutorError(retryable: false, message: "the Azure DevOps executor is not available in this build")
    }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        throw ExecutorError(retryable: false, message: "the Azure DevOps executor is not available in this build")
    }
}
