import Foundation
import TollgateJSON
import TollgateLifecycle

/// A task's pipeline in GitLab: the one Tollgate started, and the downstream (child) pipelines
/// its bridge jobs created, read together to tell how the task is doing.
struct GitLabPipelineState {
    let project: String
    let parent: JSONValue
    let children: [JSONValue]

    var parentId: Int64 { parent["id"]?.intValue ?? 0 }
    var parentStatus: String { parent["status"]?.stringValue ?? "unknown" }
    var webURL: String? { parent["web_url"]?.stringValue }

    /// The status that decides the task: the parent's when it did not succeed, else the worst of
    /// its children (a bridge without `strategy: depend` succeeds as soon as its child exists).
    var status: String {
        if ["failed", "canceled", "canceling", "skipped"].contains(parentStatus) { return parentStatus }
        let childStatuses = children.compactMap { $0["status"]?.stringValue }
        for worst in ["failed", "canceled", "canceling", "skipped"] where childStatuses.contains(worst) { return worst }
        if childStatuses.contains(where: { !Self.terminal.contains($0) }) { return "running" }
        return parentStatus
    }

    static let terminal: Set<String> = ["success", "failed", "canceled", "skipped"]

    var isFinished: Bool { Self.terminal.contains(status) }

    /// Every pipeline of the run: the parent first, then its descendants by id.
    var pipelines: [(project: String, id: Int64)] {
        [(project, parentId)]
            + children.compactMap { child in
                child["id"]?.intValue.map { (child["project_id"]?.intValue.map(String.init) ?? project, $0) }
            }
    }

    /// The pipeline named in messages: the only child when there is one, else the parent.
    var named: String {
        children.count == 1 ? "pipeline \(children[0]["id"]?.intValue ?? 0) (child of \(parentId))"
            : children.isEmpty ? "pipeline \(parentId)" : "pipeline \(parentId) (with \(children.count) child pipelines)"
    }
}

/// A job of a run, with the project of the pipeline it belongs to (where its log is read).
struct GitLabRunJob {
    var project: String
    var json: JSONValue

    var id: Int64 { json["id"]?.intValue ?? 0 }
    var name: String { json["name"]?.stringValue ?? "job" }
    var status: String? { json["status"]?.stringValue }
}

extension GitLabExecutor {
    /// Deepest nesting of child pipelines followed (GitLab allows two levels below the parent).
    static let maximumChildDepth = 3

    /// Reads the parent pipeline and every pipeline its trigger (bridge) jobs started, and theirs,
    /// as the bridges point to them (never "parent + 1").
    func pipelineState(project: String, pipelineId: Int64) async throws(GitLabFailure) -> GitLabPipelineState {
        let parent = try await api.get("/projects/\(GitLabAPI.project(project))/pipelines/\(pipelineId)", what: "reading pipeline \(pipelineId)")
        var children: [JSONValue] = []
        var seen: Set<Int64> = [pipelineId]
        var level: [(project: String, id: Int64)] = [(project, pipelineId)]
        for _ in 0..<Self.maximumChildDepth where !level.isEmpty {
            var next: [(project: String, id: Int64)] = []
            for pipeline in level {
                for bridge in try await bridges(project: pipeline.project, pipelineId: pipeline.id) {
                    guard let downstream = bridge["downstream_pipeline"], let id = downstream["id"]?.intValue, seen.insert(id).inserted else { continue }
                    let childProject = downstream["project_id"]?.intValue.map(String.init) ?? pipeline.project
                    children.append(
                        try await api.get("/projects/\(GitLabAPI.project(childProject))/pipelines/\(id)", what: "reading child pipeline \(id)"))
                    next.append((childProject, id))
                }
            }
            level = next
        }
        children.sort { ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0) }
        return GitLabPipelineState(project: project, parent: parent, children: children)
    }

    /// The trigger jobs of a pipeline (`trigger_jobs`, or `bridges` where GitLab answers 404 to that).
    func bridges(project: String, pipelineId: Int64) async throws(GitLabFailure) -> [JSONValue] {
        let path = "/projects/\(GitLabAPI.project(project))/pipelines/\(pipelineId)"
        do {
            return try await api.list(path + "/trigger_jobs?per_page=100", what: "reading the bridge jobs of pipeline \(pipelineId)")
        } catch where error.status == 404 {
            return try await api.list(path + "/bridges?per_page=100", what: "reading the bridge jobs of pipeline \(pipelineId)")
        }
    }

    /// Every job of the run, the parent's own and each child's, in the order they ran.
    func jobs(of state: GitLabPipelineState) async throws(GitLabFailure) -> [GitLabRunJob] {
        var all: [GitLabRunJob] = []
        for pipeline in state.pipelines {
            all += try await jobs(project: pipeline.project, pipelineId: pipeline.id).map { GitLabRunJob(project: pipeline.project, json: $0) }
        }
        return all.sorted { $0.id < $1.id }
    }

    /// The jobs of a pipeline in the order they ran (GitLab lists them newest first).
    func jobs(project: String, pipelineId: Int64) async throws(GitLabFailure) -> [JSONValue] {
        let listed = try await api.list(
            "/projects/\(GitLabAPI.project(project))/pipelines/\(pipelineId)/jobs?per_page=100&include_retried=false",
            what: "listing the jobs of pipeline \(pipelineId)")
        return listed.sorted { ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0) }
    }

    /// Each job's cleaned log, in run order.
    func logs(of jobs: [GitLabRunJob]) async -> [TaskLog] {
        var logs: [TaskLog] = []
        for job in jobs {
            do {
                // Logs run to 100 MB: only their end is kept, as it arrives.
                let tail = ReceivedBytes(keepingTheLast: settings.logLimitBytes)
                _ = try await api.receive(
                    "/projects/\(GitLabAPI.project(job.project))/jobs/\(job.id)/trace", what: "reading the log of job \(job.name)"
                ) { try tail.append($0) }
                tail.trim()
                logs.append(
                    GitLabJobLog.clean(tail.bytes, droppedBefore: tail.dropped, name: job.name, status: job.status, limit: settings.logLimitBytes))
            } catch {
                logs.append(TaskLog(name: job.name, status: job.status, text: "(log unavailable: \(error.message))"))
            }
        }
        return logs
    }

    /// The pipeline this attempt created, if one exists: found by the variables Tollgate set,
    /// among every pipeline of the ref created since shortly before the task was queued (all
    /// pages of them, newest first).
    func findPipeline(for request: DispatchRequest, project: String, ref: String) async throws(GitLabFailure) -> (String, Int64)? {
        try await searchPipeline(for: request, project: project, ref: ref).found
    }

    /// What a search for this attempt's pipeline found: the pipeline, and the pipelines started by
    /// a trigger token whose variables the token may not read (one of them may be this attempt's
    /// when it was started through the trigger token of another user).
    struct PipelineSearch {
        var found: (project: String, id: Int64)?
        var unreadableTriggered: [Int64] = []
    }

    func searchPipeline(for request: DispatchRequest, project: String, ref: String) async throws(GitLabFailure) -> PipelineSearch {
        var search = PipelineSearch()
        guard api.token != nil else { return search }
        let since = (request.queuedAt ?? Date()).addingTimeInterval(-300)
        let query = GitLabAPI.query([
            ("ref", ref), ("created_after", ISO8601DateFormatter().string(from: since)), ("order_by", "id"), ("sort", "desc"), ("per_page", "100"),
        ])
        let candidates = try await api.list(
            "/projects/\(GitLabAPI.project(project))/pipelines?\(query)", what: "looking for the pipeline of task \(request.taskId)")
        // A refusal here is expected (others' pipelines): it needs no explaining, which would cost requests.
        let quiet = api.withoutAccessExplanations()
        for pipeline in candidates {
            guard let id = pipeline["id"]?.intValue else { continue }
            let variables: JSONValue
            do {
                variables = try await quiet.get(
                    "/projects/\(GitLabAPI.project(project))/pipelines/\(id)/variables", what: "reading the variables of pipeline \(id)")
            } catch where error.status == 403 {
                // GitLab shows a pipeline's variables only to Maintainers and to the user who ran
                // it; one this token may not read was run by someone else: not this task's, unless
                // it was started through a trigger token that user owns.
                if pipeline["source"]?.stringValue == "trigger" { search.unreadableTriggered.append(id) }
                continue
            }
            var found: [String: String] = [:]
            for variable in variables.arrayValue ?? [] {
                if let key = variable["key"]?.stringValue { found[key] = variable["value"]?.stringValue }
            }
            if found["TOLLGATE_TASK_ID"] == String(request.taskId) && found["TOLLGATE_ATTEMPT"] == String(request.attempt) {
                search.found = (pipeline["project_id"]?.intValue.map(String.init) ?? project, id)
                return search
            }
        }
        return search
    }
}
