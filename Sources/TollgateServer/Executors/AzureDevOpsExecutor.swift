import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Runs tasks as Azure Pipelines runs (the Runs API), following them until they complete.
///
/// - **Start**: `POST {organization}/{project}/_apis/pipelines/{pipelineId}/runs` on the task's
///   branch, with the task's parameters as template parameters (as strings) plus `callbackRef`, as
///   ODM's adapter passes them (so existing pipelines work unchanged; the pipeline's YAML declares
///   them). The task's template definition may name `pipelineId`, `branch` and `stagesToSkip`.
/// - **Once**: the start request is sent once per dispatch, never retried by the HTTP layer; a
///   dispatch that already has a reference (`"<pipelineId>/<runId>"`) starts nothing.
/// - **Follow**: when no callback comes, the run is polled (backing off while its state does not
///   change, pausing when Azure DevOps asks with `Retry-After`), and the task completes from the
///   run's result: `succeeded` → PROCESSED, `canceled` → ABORTED, anything else → FAILED.
/// - **Cancel**: through the Builds API (a run is a build), unless the run has already completed.
public struct AzureDevOpsExecutor: TaskExecutor {
    /// The executor's name under `executors:`, used in messages that point at its settings.
    public let name: String
    let settings: AzureDevOpsExecutorSettings
    let api: AzureDevOpsAPI
    let schedule: PollSchedule

    /// An executor for the organization and project of `settings`, calling out through `http`.
    public init(name: String, settings: AzureDevOpsExecutorSettings, http: OutboundHTTP) {
        self.name = name
        self.settings = settings
        // A throttle is waited out between calls, never inside one: polls pause on the schedule,
        // a dispatch goes back to the engine with the service's Retry-After.
        var http = http
        http.maxRetryAfter = .zero
        api = AzureDevOpsAPI(executor: name, settings: settings, http: http)
        schedule = PollSchedule(
            first: .milliseconds(Int64(settings.pollSeconds * 1000)), maximum: .milliseconds(Int64(settings.maxPollSeconds * 1000)))
    }

    /// Starts the task's run and answers with its reference, `"<pipelineId>/<runId>"`.
    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        if let reference = request.reference { return .accepted(reference: reference) }
        let run = try AzureDevOpsRunRequest(request, settings: settings, executor: name)
        let what = "starting a run of pipeline \(run.pipelineId) for task \(request.taskId)"
        let answer: JSONValue
        do throws(AzureDevOpsFailure) {
            answer = try await api.startRun(run, what: what)
        } catch {
            throw error.executorError
        }
        guard let started = AzureDevOpsRun(answer, pipelineId: run.pipelineId) else {
            throw ExecutorError(
                retryable: false,
                message: "Azure DevOps accepted \(what) but its answer had no run id; look for the run in pipeline \(run.pipelineId)"
                    + " of project \(settings.project) before dispatching again")
        }
        return .accepted(reference: started.reference.text)
    }

    /// The task's end once its run has completed; nil while it runs, while the poll schedule says
    /// it is not yet time to ask again, and while Azure DevOps is unavailable or rate-limiting.
    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        guard let reference = AzureDevOpsRunReference(request.reference) else { return nil }
        let key = reference.text
        let overdue = request.queuedAt.map { Date().timeIntervalSince($0) > Double(request.timeoutSeconds) } ?? false
        guard await schedule.isDue(key, force: overdue) else { return nil }
        do throws(AzureDevOpsFailure) {
            let (json, retryAfter) = try await api.run(reference, what: "reading run \(reference.runId) of pipeline \(reference.pipelineId)")
            if let retryAfter { await schedule.pause(for: retryAfter) }
            guard let run = AzureDevOpsRun(json, pipelineId: reference.pipelineId) else {
                await schedule.polled(key, state: "unreadable")
                return nil
            }
            await schedule.polled(key, state: run.state)
            guard let report = run.report else { return nil }
            await schedule.forget(key)
            return report
        } catch {
            if let pause = error.retryAfter { await schedule.pause(for: pause) }
            if error.status == 404 {
                await schedule.forget(key)
                return TaskReport(
                    status: .failed, errors: "Azure Pipelines run \(reference.runId) (pipeline \(reference.pipelineId)) is gone: \(error.message)")
            }
            await schedule.polled(key, state: "error \(error.status ?? 0)")
            if error.retryable { return nil }
            throw error.executorError
        }
    }

    /// Cancels the task's run through the Builds API, unless it has already completed.
    public func cancel(_ request: DispatchRequest) async throws(ExecutorError) -> CancelOutcome {
        guard let reference = AzureDevOpsRunReference(request.reference) else {
            return .nothingToCancel("no Azure Pipelines run was started for task \(request.taskId)")
        }
        let run = "run \(reference.runId) of pipeline \(reference.pipelineId)"
        do throws(AzureDevOpsFailure) {
            let (json, _) = try await api.run(reference, what: "reading \(run) before cancelling it")
            await schedule.forget(reference.text)
            let current = AzureDevOpsRun(json, pipelineId: reference.pipelineId)
            let link = current?.webURL.map { " (\($0))" } ?? ""
            if let current, current.isCompleted {
                return .nothingToCancel("\(run) had already completed (\(current.result ?? "unknown"))")
            }
            if current?.state == "canceling" { return .cancelled("\(run) was already being cancelled\(link)") }
            let build = try await api.cancelBuild(reference, what: "cancelling \(run)")
            if build["status"]?.stringValue == "completed" {
                return .nothingToCancel("\(run) completed before it could be cancelled (\(build["result"]?.stringValue ?? "unknown"))")
            }
            return .cancelled("cancelling Azure Pipelines \(run)\(link)")
        } catch {
            if error.status == 404 { return .nothingToCancel("\(run) no longer exists in Azure DevOps") }
            throw error.executorError
        }
    }
}
