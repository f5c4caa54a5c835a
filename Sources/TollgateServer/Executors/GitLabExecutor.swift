import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Runs tasks as GitLab CI pipelines, natively (no adapter service in between).
///
/// - **Start**: the task's parameters become pipeline variables, with `TOLLGATE_TASK_ID`,
///   `TOLLGATE_ACTIVITY_ID`, `TOLLGATE_ATTEMPT`, `TOLLGATE_CALLBACK_URL` (so a pipeline may report
///   rich results itself) and `TOLLGATE_CONTEXT` (the earlier stages' results, as JSON). Through the pipelines API with the token, or with a trigger token.
/// - **Once**: creating a pipeline is never retried blindly. Before creating one, the executor looks
///   for a pipeline of the same attempt (by its variables), so a pipeline created just before a
///   crash is found again, not created twice.
/// - **Follow**: when no callback comes, the pipeline and the child pipelines of its bridge jobs
///   are polled (backing off while nothing changes, pausing when GitLab rate-limits), and the task
///   completes from their outcome, with every job's log in its history.
/// - **Cancel**: parent and child pipelines.
public struct GitLabExecutor: TaskExecutor {
    public let name: String
    let settings: GitLabExecutorSettings
    let api: GitLabAPI
    let schedule: PollSchedule

    public init(name: String, settings: GitLabExecutorSettings, http: OutboundHTTP) {
        self.name = name
        self.settings = settings
        let schedule = PollSchedule(first: .milliseconds(Int64(settings.pollSeconds * 1000)), maximum: .milliseconds(Int64(settings.maxPollSeconds * 1000)))
        // A throttle is waited out between calls, never inside one: polls pause on the schedule,
        // a dispatch goes back to the engine with GitLab's Retry-After.
        var http = http
        http.maxRetryAfter = .zero
        api = GitLabAPI(settings: settings, http: http) { pause in await schedule.pause(for: pause) }
        self.schedule = schedule
    }

    /// Where and how a task's pipeline runs.
    struct Target {
        var project: String
        var ref: String
        var useTriggerToken: Bool
    }

    func target(_ request: DispatchRequest) throws(ExecutorError) -> Target {
        let definition = request.template
        let project = try GitLabProjectChoice.project(of: request, fallback: settings.project, executor: name)
        let ref = definition?["ref"]?.stringValue ?? settings.ref
        let trigger: Bool
        switch definition?["trigger"]?.stringValue {
        case "token"?:
            guard settings.triggerToken != nil else {
                throw ExecutorError(retryable: false, message: "task \(request.taskId) asks for a trigger token, but executors.\(name).triggerToken is not set")
            }
            trigger = true
        case "api"?:
            guard settings.token != nil else {
                throw ExecutorError(retryable: false, message: "task \(request.taskId) asks for the pipelines API, but executors.\(name).token is not set")
            }
            trigger = false
        case nil: trigger = settings.token == nil
        case let other?:
            throw ExecutorError(retryable: false, message: "trigger must be token or api, not '\(other)' (task \(request.taskId))")
        }
        return Target(project: project, ref: ref, useTriggerToken: trigger)
    }

    /// The pipeline variables of a task: its parameters, the template's `variables`, and Tollgate's own.
    static func variables(_ request: DispatchRequest) -> [(String, String)] {
        var variables: [(String, String)] = []
        func add(_ object: JSONObject?) {
            for (key, value) in object ?? [:] { variables.append((key, value.stringValue ?? value.serialized())) }
        }
        add(request.configurations["params"]?.objectValue)
        add(request.template?["variables"]?.objectValue)
        variables.append(("TOLLGATE_TASK_ID", String(request.taskId)))
        variables.append(("TOLLGATE_ACTIVITY_ID", String(request.activityId)))
        variables.append(("TOLLGATE_ATTEMPT", String(request.attempt)))
        variables.append(("TOLLGATE_TASK_NAME", request.taskName ?? request.taskKey))
        if let callback = request.callbackRef { variables.append(("TOLLGATE_CALLBACK_URL", callback)) }
        if let context = request.configurations["context"] { variables.append(("TOLLGATE_CONTEXT", context.serialized())) }
        // The dispatch's trace context, for jobs that report their own spans or call back with it.
        if let parent = request.traceContext["traceparent"] { variables.append(("TRACEPARENT", parent)) }
        if let state = request.traceContext["tracestate"] { variables.append(("TRACESTATE", state)) }
        return variables
    }

    /// Refuses a variable GitLab would refuse, naming it (GitLab's own answer names no key):
    /// keys are letters, digits and `_`, at most 255 bytes.
    static func checkKeys(_ variables: [(String, String)]) throws(ExecutorError) {
        for (key, _) in variables {
            let valid = !key.isEmpty && key.utf8.count <= 255
                && key.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
            guard valid else {
                throw ExecutorError(
                    retryable: false,
                    message: "parameter '\(key)' cannot be a GitLab CI variable: GitLab takes only letters, digits and _ in variable keys"
                        + " (at most 255). Rename it in the task's params or template variables (for example '\(Self.suggestedKey(key))')")
            }
        }
    }

    static func suggestedKey(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? $0 : "_" }).prefix(255))
    }

    static func reference(project: String, pipelineId: Int64) -> String { "\(project):\(pipelineId)" }

    static func parse(_ reference: String?) -> (project: String, pipelineId: Int64)? {
        guard let reference, let colon = reference.lastIndex(of: ":"), let id = Int64(reference[reference.index(after: colon)...]) else {
            return nil
        }
        return (String(reference[..<colon]), id)
    }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        if let reference = request.reference { return .accepted(reference: reference) }
        let target = try target(request)
        try Self.checkKeys(Self.variables(request))
        do throws(GitLabFailure) {
            let search = try await searchPipeline(for: request, project: target.project, ref: target.ref)
            if let (project, id) = search.found {
                return .accepted(reference: Self.reference(project: project, pipelineId: id))
            }
            if target.useTriggerToken, request.mayHaveLanded, !search.unreadableTriggered.isEmpty {
                let named = search.unreadableTriggered.map { "pipeline \($0)" }.joined(separator: ", ")
                throw GitLabFailure(
                    retryable: true, status: 403,
                    message: "an earlier try may have started this task's pipeline, and GitLab does not show the token the variables of"
                        + " \(named), started through a trigger token since; Tollgate does not start a second pipeline that may repeat one of"
                        + " them (its callback may still come). To let Tollgate tell, give executors.\(name).token the Maintainer role or"
                        + " use a token of the trigger token's owner")
            }
            let pipeline = try await create(request, target)
            guard let id = pipeline["id"]?.intValue else {
                throw GitLabFailure(retryable: true, status: 201, message: "GitLab created a pipeline but its answer had no id")
            }
            let project = pipeline["project_id"]?.intValue.map(String.init) ?? target.project
            return .accepted(reference: Self.reference(project: project, pipelineId: id))
        } catch {
            throw error.executorError
        }
    }

    private func create(_ request: DispatchRequest, _ target: Target) async throws(GitLabFailure) -> JSONValue {
        let variables = Self.variables(request)
        let project = GitLabAPI.project(target.project)
        let what = "starting a pipeline of \(target.project) at \(target.ref) for task \(request.taskId)"
        if target.useTriggerToken, let token = settings.triggerToken {
            var map = JSONObject()
            for (key, value) in variables { map[key] = .string(value) }
            return try await api.post(
                "/projects/\(project)/trigger/pipeline",
                body: ["token": .string(token), "ref": .string(target.ref), "variables": .object(map)], headers: [], what: what)
        }
        let list = variables.map { key, value -> JSONValue in ["key": .string(key), "value": .string(value), "variable_type": "env_var"] }
        return try await api.post("/projects/\(project)/pipeline", body: ["ref": .string(target.ref), "variables": .array(list)], what: what)
    }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        guard api.token != nil else { return nil }  // trigger-token only: the pipeline's callback is the only word
        var located = Self.parse(request.reference)
        let overdue = request.queuedAt.map { Date().timeIntervalSince($0) > Double(request.timeoutSeconds) } ?? false
        let key = request.reference ?? "attempt-\(request.attempt)"
        guard await schedule.isDue(key, force: overdue) else { return nil }
        do throws(GitLabFailure) {
            if located == nil, let target = try? target(request) {
                located = try await findPipeline(for: request, project: target.project, ref: target.ref)
            }
            guard let (project, id) = located else {
                await schedule.polled(key, state: "missing")
                return nil
            }
            let state = try await pipelineState(project: project, pipelineId: id)
            await schedule.polled(key, state: state.status + state.children.map { $0["status"]?.stringValue ?? "" }.joined())
            if state.isFinished {
                await schedule.forget(key)
                return await report(state)
            }
            if overdue { return await timedOut(state, after: request.timeoutSeconds) }
            return nil
        } catch {
            if let pause = error.retryAfter { await schedule.pause(for: pause) }
            if error.status == 404, located != nil {
                return TaskReport(status: .failed, errors: "pipeline \(located!.pipelineId) of \(located!.project) no longer exists in GitLab")
            }
            if !error.retryable && error.status != 404 { throw error.executorError }
            return nil
        }
    }

    /// The task's end, from a finished pipeline: results, errors and job logs.
    func report(_ state: GitLabPipelineState) async -> TaskReport {
        let (jobs, unread) = await jobsOrWhyNot(state)
        // A run whose jobs cannot be read says so where its logs would be.
        let logs = await logs(of: jobs) + (unread.map { [TaskLog(name: "jobs", text: $0)] } ?? [])
        let status = state.status
        let results = Self.results(state, jobs: jobs)
        let pipeline = state.named
        switch status {
        case "success":
            return TaskReport(status: .processed, results: results, logs: logs)
        case "canceled", "canceling":
            return TaskReport(status: .aborted, results: results, errors: "\(pipeline) was canceled in GitLab", logs: logs)
        case "skipped":
            return TaskReport(status: .failed, results: results, errors: "\(pipeline) was skipped", logs: logs)
        default:
            let failed = jobs.filter { $0.status == "failed" }.map { job in
                "job \(job.name) (stage \(job.json["stage"]?.stringValue ?? "?"))"
                    + (job.json["failure_reason"]?.stringValue.map { ": \($0)" } ?? "")
            }
            let which = failed.isEmpty ? (unread.map { " (\($0))" } ?? "") : ": " + failed.joined(separator: "; ")
            return TaskReport(status: .failed, results: results, errors: "\(pipeline) failed\(which)" + (state.webURL.map { " (\($0))" } ?? ""), logs: logs)
        }
    }

    /// The pipeline's jobs, or none and why they could not be read.
    func jobsOrWhyNot(_ state: GitLabPipelineState) async -> ([GitLabRunJob], String?) {
        do throws(GitLabFailure) {
            return (try await jobs(of: state), nil)
        } catch {
            return ([], "the jobs of \(state.named) could not be read: \(error)")
        }
    }

    /// A pipeline still going at the task's timeout: says what it waits for and cancels it.
    func timedOut(_ state: GitLabPipelineState, after seconds: Int) async -> TaskReport {
        let (jobs, unread) = await jobsOrWhyNot(state)
        let pending = jobs.filter { ["pending", "created", "waiting_for_resource"].contains($0.status ?? "") }
        var errors: String
        if let stuck = pending.first {
            let tags = stuck.json["tag_list"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let pipeline = stuck.json["pipeline"]?["id"]?.intValue ?? state.parentId
            errors = "no runner picked up job \(stuck.name) of pipeline \(pipeline) within \(seconds) s"
                + (tags.isEmpty ? "" : " (it needs a runner with tags: \(tags.joined(separator: ", ")))")
        } else {
            errors = "timed out after \(seconds) s: \(state.named) is still \(state.status)" + (unread.map { " (\($0))" } ?? "")
        }
        do throws(GitLabFailure) {
            let cancelled = try await cancel(state)
            if !cancelled.isEmpty { errors += "; cancelled pipeline " + cancelled.map(String.init).joined(separator: " and ") }
        } catch {
            errors += "; cancelling it failed (\(error)): it may still be running"
        }
        return TaskReport(
            status: .failed,
            results: Self.results(state, jobs: jobs), errors: errors)
    }

    /// A task's results from its run: the pipelines, the status, and each job's name and status.
    static func results(_ state: GitLabPipelineState, jobs: [GitLabRunJob]) -> JSONValue {
        [
            "pipelineId": .int(state.parentId),
            "childPipelineId": state.children.first?["id"]?.intValue.map(JSONValue.int) ?? .null,
            "childPipelineIds": .array(state.children.compactMap { $0["id"]?.intValue.map(JSONValue.int) }),
            "webUrl": state.webURL.map(JSONValue.string) ?? .null,
            "status": .string(state.status),
            "jobs": .array(jobs.map { ["name": .string($0.name), "status": $0.status.map(JSONValue.string) ?? .null] }),
        ]
    }

    /// Job logs are fetched for tasks that ended by a callback too (needs the API token).
    public var collectsLogs: Bool { api.token != nil }

    public func logs(of request: DispatchRequest) async throws(ExecutorError) -> [TaskLog]? {
        guard let (project, id) = Self.parse(request.reference) else { return [] }
        do throws(GitLabFailure) {
            let state = try await pipelineState(project: project, pipelineId: id)
            guard state.isFinished else { return nil }
            return await logs(of: try await jobs(of: state))
        } catch {
            if error.status == 404 { return [] }
            throw error.executorError
        }
    }

    public func cancel(_ request: DispatchRequest) async throws(ExecutorError) -> CancelOutcome {
        guard api.token != nil else {
            return .notSupported("executor \(name) has only a trigger token; cancelling needs executors.\(name).token")
        }
        do throws(GitLabFailure) {
            var located = Self.parse(request.reference)
            if located == nil, let target = try? target(request) {
                located = try await findPipeline(for: request, project: target.project, ref: target.ref)
            }
            guard let (project, id) = located else { return .nothingToCancel("no pipeline was created for task \(request.taskId)") }
            await schedule.forget(request.reference ?? "attempt-\(request.attempt)")
            let state = try await pipelineState(project: project, pipelineId: id)
            if state.isFinished { return .nothingToCancel("pipeline \(id) had already ended (\(state.status))") }
            let cancelled = try await cancel(state)
            return .cancelled("cancelled pipeline " + cancelled.map(String.init).joined(separator: " and child pipeline "))
        } catch {
            throw error.executorError
        }
    }

    /// Cancels the parent and every unfinished child; returns the pipeline ids cancelled.
    func cancel(_ state: GitLabPipelineState) async throws(GitLabFailure) -> [Int64] {
        var cancelled: [Int64] = []
        let parentPath = "/projects/\(GitLabAPI.project(state.project))/pipelines/\(state.parentId)/cancel"
        _ = try await api.post(parentPath, body: [:], what: "cancelling pipeline \(state.parentId)")
        cancelled.append(state.parentId)
        for child in state.children where !GitLabPipelineState.terminal.contains(child["status"]?.stringValue ?? "") {
            guard let id = child["id"]?.intValue else { continue }
            let project = child["project_id"]?.intValue.map(String.init) ?? state.project
            _ = try await api.post("/projects/\(GitLabAPI.project(project))/pipelines/\(id)/cancel", body: [:], what: "cancelling child pipeline \(id)")
            cancelled.append(id)
        }
        return cancelled
    }
}
