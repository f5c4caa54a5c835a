public import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import TollgateJSON

/// A GitLab instance on loopback speaking REST v4 as gitlab.md describes it: pipelines created
/// through the API or a trigger token, parent pipelines with jobs of their own and trigger (bridge)
/// jobs that each start a child pipeline (and, like GitLab without `strategy: depend`, succeed as
/// soon as the child exists), pipeline variables shown to Maintainers and to the user who ran the
/// pipeline only, rate-limit headers on a spent quota, jobs listed
/// newest first and paged with `Link` headers, raw traces, cancel, and GitLab's error bodies,
/// rate limiting (429 with `Retry-After` and `RateLimit-*`) and proxy errors.
public final class FakeGitLab: Sendable {
    /// A job of the child pipeline each new pipeline gets.
    public struct JobPlan: Sendable {
        public var name: String
        public var stage: String
        public var trace: [UInt8]
        public var tags: [String]

        public init(name: String, stage: String, trace: String = "", tags: [String] = []) {
            self.name = name
            self.stage = stage
            self.trace = Array(trace.utf8)
            self.tags = tags
        }
    }

    struct Job {
        var id: Int64
        var name: String
        var stage: String
        var status: String
        var failureReason: String?
        var trace: [UInt8]
        var tags: [String]
    }

    struct Pipeline {
        var id: Int64
        var projectId: Int64
        var ref: String
        var status: String
        var source: String
        var variables: [(String, String)]
        var createdAt: Date
        var jobs: [Job] = []
        /// Its trigger jobs, each with the child pipeline it started.
        var bridges: [(id: Int64, name: String, downstream: Int64?)] = []
        var parent: Int64?
        /// Who ran it: the token's user for pipelines Tollgate started, someone else otherwise.
        var user = FakeGitLab.tokenUser
    }

    /// The token's role on the projects: what GitLab lets it see.
    public typealias Role = FakeGitLabAccess.Role

    /// The user the tokens belong to.
    static let tokenUser = FakeGitLabAccess.userName

    struct State {
        var projects: [Int64: (path: String, refs: Set<String>)] = [:]
        var pipelines: [Int64: Pipeline] = [:]
        var nextPipeline: Int64 = 500
        var nextJob: Int64 = 9000
        var jobs: [JobPlan] = [
            JobPlan(name: "create", stage: "create"), JobPlan(name: "execute", stage: "execute"), JobPlan(name: "clean", stage: "clean"),
        ]
        /// The jobs of further children (a trigger job each), and the parent's own jobs.
        var moreChildren: [[JobPlan]] = []
        var parentJobs: [JobPlan] = []
        var throttled = 0
        var failing = 0
        var legacyBridgesOnly = false
        var maxPerPage = 100
        var noJobSelected = false
        var creationAnswerDelay: Duration = .zero
        var requests: [String] = []
        var quotaResetAt: Date?
    }

    public let token: String
    public let triggerToken: String
    /// Groups, projects, trees, files and commits, served on the same address.
    public let repositories: FakeGitLabRepositories
    /// Who the token is and what GitLab lets it do, for pipelines and repositories alike.
    public let access = FakeGitLabAccess()
    let state = Mutex(State())
    let server = LoopbackServer()

    public init(token: String = "glpat-good-token", triggerToken: String = "glptt-good-trigger") {
        self.token = token
        self.triggerToken = triggerToken
        repositories = FakeGitLabRepositories(token: token, access: access)
        access.setTriggerToken(triggerToken)
    }

    public var address: String { server.address }
    public func start(client: HTTPClient) async throws { try await server.start(router(), client: client) }
    public func stop() { server.stop() }

    // MARK: Scripting

    /// Adds a project with its branches.
    public func addProject(id: Int64, path: String, refs: Set<String> = ["main"]) {
        state.withLock { $0.projects[id] = (path, refs) }
    }

    /// The jobs the child pipeline of every new pipeline gets.
    public func planJobs(_ jobs: [JobPlan]) { state.withLock { $0.jobs = jobs } }

    /// Every new pipeline gets jobs of its own and one child pipeline per entry of `children`
    /// (each started by a trigger job of its own), in that order.
    public func planPipeline(ownJobs: [JobPlan], children: [[JobPlan]]) {
        state.withLock { state in
            state.parentJobs = ownJobs
            state.jobs = children.first ?? []
            state.moreChildren = Array(children.dropFirst())
        }
    }

    /// The next `count` API requests answer 429 (`Retry-After: seconds`).
    public func throttle(_ count: Int) { state.withLock { $0.throttled = count } }

    /// Answers normally, but says the token's quota is spent for `seconds` (`RateLimit-Remaining: 0`
    /// with `RateLimit-Reset`), as GitLab does on the last request a window allows.
    public func spendQuota(forSeconds seconds: Int) {
        state.withLock { $0.quotaResetAt = Date().addingTimeInterval(Double(seconds)) }
    }

    /// The next `count` API requests answer 502 with nginx's HTML page.
    public func failNext(_ count: Int) { state.withLock { $0.failing = count } }

    /// The role of the token's user on every project (Maintainer unless set).
    public func setRole(_ role: Role) { access.setRole(role) }

    /// Makes the trigger token another user's (by default it is the token user's own): its
    /// pipelines run as that user, and GitLab shows their variables only to them and Maintainers.
    public func giveTriggerToAnotherUser() { access.giveTriggerToAnotherUser() }

    /// A pipeline someone else ran on `ref` (by pushing, on the web), with its own variables.
    @discardableResult
    public func addForeignPipeline(projectId: Int64, ref: String = "main", variables: [(String, String)] = [], source: String = "push") -> Int64 {
        state.withLock { state in
            let id = state.nextPipeline
            state.nextPipeline += 1
            state.pipelines[id] = Pipeline(
                id: id, projectId: projectId, ref: ref, status: "running", source: source, variables: variables, createdAt: Date(),
                user: "someone-else")
            return id
        }
    }

    /// Whether pipeline variables may be set (GitLab.com's default for new projects is no).
    public func allowVariables(_ allowed: Bool) { access.setPipelineVariablesMinimumRole(allowed ? "developer" : "no_one_allowed") }

    /// Answers `trigger_jobs` with 404, as GitLab versions that only know `bridges` do.
    public func onlyLegacyBridges() { state.withLock { $0.legacyBridgesOnly = true } }

    /// New pipelines are refused because the CI rules select no job.
    public func selectNoJobs() { state.withLock { $0.noJobSelected = true } }

    /// New pipelines are created at once, but the answer saying so takes this long (a timeout
    /// after which the caller cannot know whether the pipeline exists).
    public func answerCreationAfter(_ delay: Duration) { state.withLock { $0.creationAnswerDelay = delay } }

    /// The largest page GitLab serves (100 on real instances).
    public func maxPerPage(_ count: Int) { state.withLock { $0.maxPerPage = count } }

    /// Pipelines created through the API or the trigger endpoint (children and noise excluded).
    public var createdPipelines: [Int64] {
        state.withLock { $0.pipelines.values.filter { $0.source == "api" || $0.source == "trigger" }.map(\.id).sorted() }
    }

    /// The child pipeline of `parent`.
    public func child(of parent: Int64) -> Int64? { state.withLock { $0.pipelines[parent]?.bridges.first?.downstream } }

    /// Requests received, as `METHOD path?query`.
    public var requests: [String] { state.withLock { $0.requests } }

    /// The variables a pipeline was created with.
    public func variables(of pipeline: Int64) -> [String: String] {
        state.withLock { Dictionary($0.pipelines[pipeline]?.variables ?? [], uniquingKeysWith: { $1 }) }
    }

    /// Moves the child pipeline's jobs: `statuses` by job name (`running`, `success`, `failed`,
    /// `canceled`); the child's status follows from its jobs.
    public func setJobs(ofChildOf parent: Int64, _ statuses: [String: String], failureReason: String = "script_failure") {
        state.withLock { state in
            guard let root = state.pipelines[parent] else { return }
            // The parent's own jobs and those of every child, by name.
            for id in [parent] + root.bridges.compactMap(\.downstream) {
                guard var pipeline = state.pipelines[id], !pipeline.jobs.isEmpty else { continue }
                for index in pipeline.jobs.indices {
                    guard let status = statuses[pipeline.jobs[index].name] else { continue }
                    pipeline.jobs[index].status = status
                    pipeline.jobs[index].failureReason = status == "failed" ? failureReason : nil
                }
                let all = pipeline.jobs.map(\.status)
                pipeline.status =
                    if all.contains("failed") { "failed" } else if all.contains("canceled") { "canceled" } else if all.allSatisfy({ $0 == "success" }) { "success" } else if all.contains("running") { "running" } else { "pending" }
                state.pipelines[id] = pipeline
            }
        }
    }

    /// Cancels a pipeline as a user would in GitLab's UI (its child too).
    public func cancelFromOutside(_ pipeline: Int64) { state.withLock { Self.cancel(pipeline, in: &$0) } }

    /// A pipeline's status.
    public func status(of pipeline: Int64) -> String? { state.withLock { $0.pipelines[pipeline]?.status } }

    // MARK: Behaviour

    static func cancel(_ id: Int64, in state: inout State) {
        guard var pipeline = state.pipelines[id] else { return }
        let terminal: Set<String> = ["success", "failed", "canceled", "skipped"]
        if !terminal.contains(pipeline.status) { pipeline.status = "canceled" }
        for index in pipeline.jobs.indices where !terminal.contains(pipeline.jobs[index].status) { pipeline.jobs[index].status = "canceled" }
        state.pipelines[id] = pipeline
        for child in pipeline.bridges.compactMap(\.downstream) { cancel(child, in: &state) }
    }

    func create(projectId: Int64, ref: String, variables: [(String, String)], source: String) -> JSONValue {
        state.withLock { state in
            let now = Date()
            let parentId = state.nextPipeline
            // Another pipeline lands between parent and child, as on a busy instance: the child is never parent + 1.
            let noiseId = parentId + 1
            let plans = [state.jobs] + state.moreChildren
            state.nextPipeline += 2 + Int64(plans.count)
            state.pipelines[noiseId] = Pipeline(
                id: noiseId, projectId: projectId, ref: ref, status: "running", source: "push", variables: [], createdAt: now, user: "someone-else")
            func jobs(_ plan: [JobPlan]) -> [Job] {
                plan.map { plan in
                    defer { state.nextJob += 1 }
                    return Job(id: state.nextJob, name: plan.name, stage: plan.stage, status: "pending", trace: plan.trace, tags: plan.tags)
                }
            }
            let own = jobs(state.parentJobs)
            var bridges: [(id: Int64, name: String, downstream: Int64?)] = []
            for (index, plan) in plans.enumerated() {
                let childId = parentId + 2 + Int64(index)
                state.pipelines[childId] = Pipeline(
                    id: childId, projectId: projectId, ref: ref, status: "pending", source: "parent_pipeline", variables: [], createdAt: now,
                    jobs: jobs(plan), parent: parentId)
                bridges.append((state.nextJob, index == 0 ? "trigger_child" : "trigger_child_\(index + 1)", childId))
                state.nextJob += 1
            }
            // Without `strategy: depend` a trigger job succeeds once its child exists: the parent
            // succeeds with its own jobs.
            state.pipelines[parentId] = Pipeline(
                id: parentId, projectId: projectId, ref: ref, status: own.isEmpty ? "success" : "pending", source: source, variables: variables,
                createdAt: now, jobs: own, bridges: bridges, user: source == "trigger" ? access.triggerOwner : FakeGitLab.tokenUser)
            return self.json(state.pipelines[parentId]!, state: state)
        }
    }

    func json(_ p: Pipeline, state: State) -> JSONValue {
        let path = state.projects[p.projectId]?.path ?? "group/project"
        let stamp = ISO8601DateFormatter().string(from: p.createdAt)
        return [
            "id": .int(p.id), "iid": .int(p.id - 400), "project_id": .int(p.projectId), "sha": "a91957a858320c0e17f3a0eca7cfacbff50ea29a",
            "ref": .string(p.ref), "status": .string(p.status), "source": .string(p.source), "created_at": .string(stamp),
            "updated_at": .string(stamp), "web_url": .string("\(address)/\(path)/-/pipelines/\(p.id)"), "name": .null,
            "detailed_status": ["text": .string(p.status == "success" ? "passed" : p.status), "group": .string(p.status)],
        ]
    }

    func jobJSON(_ j: Job, pipeline: Pipeline, state: State) -> JSONValue {
        [
            "id": .int(j.id), "name": .string(j.name), "stage": .string(j.stage), "status": .string(j.status), "ref": .string(pipeline.ref),
            "allow_failure": false, "failure_reason": j.failureReason.map(JSONValue.string) ?? .null,
            "tag_list": .array(j.tags.map(JSONValue.string)),
            "pipeline": ["id": .int(pipeline.id), "project_id": .int(pipeline.projectId), "status": .string(pipeline.status)],
            "web_url": .string("\(address)/jobs/\(j.id)"),
        ]
    }

    static func response(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        GitLabAnswer.json(status, body, headers: headers)
    }

    static func notFound(_ what: String = "404 Not Found") -> Response { response(.notFound, ["message": .string(what)]) }

    /// Paged like GitLab: `page`, `per_page`; `X-*` headers and `Link`.
    func paged(_ items: [JSONValue], request: Request, maxPerPage: Int) -> Response {
        GitLabPaging.offset(items, request: request, base: address, maxPerPage: maxPerPage)
    }

    /// GitLab's answer before routing: rate limits, proxy errors, authentication.
    func gate(_ request: Request, trigger: Bool) -> Response? {
        let (throttled, failing) = state.withLock { state -> (Bool, Bool) in
            state.requests.append("\(request.method) \(request.uri.path)" + (request.uri.query.map { "?\($0)" } ?? ""))
            if state.throttled > 0 {
                state.throttled -= 1
                return (true, false)
            }
            if state.failing > 0 {
                state.failing -= 1
                return (false, true)
            }
            return (false, false)
        }
        if throttled { return GitLabAnswer.throttled() }
        if failing {
            return Response(
                status: .badGateway, headers: [.contentType: "text/html"],
                body: .init(byteBuffer: ByteBuffer(string: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")))
        }
        if trigger { return nil }
        guard access.authenticates(request, token: token) else { return Self.response(.unauthorized, ["message": "401 Unauthorized"]) }
        return nil
    }

    /// GitLab's rule for variable keys: letters, digits and `_`, at most 255.
    static func isVariableKey(_ key: String) -> Bool {
        let trimmed = key.trimmingCharacters(in: .whitespaces)
        return !trimmed.isEmpty && trimmed.utf8.count <= 255
            && trimmed.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    func project(_ context: BasicRequestContext) -> Int64? {
        guard let raw = context.parameters.get("project")?.removingPercentEncoding else { return nil }
        if let id = Int64(raw) { return state.withLock { $0.projects[id] == nil ? nil : id } }
        return state.withLock { $0.projects.first { $0.value.path.lowercased() == raw.lowercased() }?.key }
    }

    func body(_ request: Request) async -> JSONValue {
        guard let buffer = try? await request.body.collect(upTo: 1 << 20) else { return .null }
        return (try? JSONValue.parse(Array(buffer.readableBytesView))) ?? .null
    }

    func startPipeline(projectId: Int64, ref: String?, variables: [(String, String)], source: String) -> Response {
        guard let ref else { return Self.response(.badRequest, ["error": "ref is missing"]) }
        let (refs, noJob) = state.withLock { ($0.projects[projectId]?.refs ?? [], $0.noJobSelected) }
        let allowed = access.maySetVariables
        guard refs.contains(ref) else { return Self.response(.badRequest, ["message": ["base": ["Reference not found"]]]) }
        if source == "api", access.role < .developer { return Self.response(.forbidden, ["message": "403 Forbidden"]) }
        if source == "api", repositories.isProtected(project: projectId, branch: ref), access.role < .maintainer {
            // Running a pipeline on a protected branch needs push or merge rights there: Maintainers by default.
            return Self.response(
                .badRequest,
                ["message": ["base": [.string("You do not have sufficient permission to run a pipeline on '\(ref)'. Please select a different branch or contact your administrator for assistance.")]]])
        }
        if variables.contains(where: { !Self.isVariableKey($0.0) }) {
            return Self.response(
                .badRequest, ["message": ["base": ["Failed to persist the pipeline: Validation failed: Variables key can contain only letters, digits and '_'."]]])
        }
        if noJob {
            return Self.response(
                .badRequest,
                ["message": ["base": ["Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline."]]])
        }
        if !variables.isEmpty && !allowed {
            return Self.response(.badRequest, ["message": ["base": ["Insufficient permissions to set pipeline variables"]]])
        }
        // With the project's repository known, a DTaaS root pipeline runs a twin only when its trigger job is registered.
        if let twin = variables.first(where: { $0.0 == "DTName" })?.1,
            let ci = repositories.files(project: projectId, branch: ref)[".gitlab-ci.yml"],
            !String(decoding: ci, as: UTF8.self).contains("trigger_\(twin):")
        {
            return Self.response(
                .badRequest,
                ["message": ["base": ["Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline."]]])
        }
        return Self.response(.created, create(projectId: projectId, ref: ref, variables: variables, source: source))
    }

    /// `startPipeline`, answered only after the creation delay.
    func startPipelineSlowly(projectId: Int64, ref: String?, variables: [(String, String)], source: String) async -> Response {
        let answer = startPipeline(projectId: projectId, ref: ref, variables: variables, source: source)
        let delay = state.withLock { $0.creationAnswerDelay }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return answer
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: FakeGitLabQuota { [self] in self.state.withLock { $0.quotaResetAt } })
        let address = server.address
        repositories.addRoutes(to: router, base: { address })
        let api = router.group("api/v4/projects/:project")
        api.post("pipeline") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            guard let projectId = project(context) else { return Self.notFound("404 Project Not Found") }
            let body = await body(request)
            let variables = (body["variables"]?.arrayValue ?? []).compactMap { v -> (String, String)? in
                guard let key = v["key"]?.stringValue, let value = v["value"]?.stringValue else { return nil }
                return (key, value)
            }
            return await startPipelineSlowly(projectId: projectId, ref: body["ref"]?.stringValue, variables: variables, source: "api")
        }
        api.post("trigger/pipeline") { [self] request, context -> Response in
            if let refused = gate(request, trigger: true) { return refused }
            let body = await body(request)
            let queryToken: String? = request.uri.queryParameters.get("token").map { String($0) }
            guard let given = body["token"]?.stringValue ?? queryToken else {
                return Self.response(.badRequest, ["error": "token is missing"])
            }
            guard given == triggerToken, let projectId = project(context) else { return Self.notFound() }
            let variables = (body["variables"]?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue ?? "") }
            return await startPipelineSlowly(projectId: projectId, ref: body["ref"]?.stringValue, variables: variables, source: "trigger")
        }
        api.get("pipelines") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            guard let projectId = project(context) else { return Self.notFound("404 Project Not Found") }
            let query = request.uri.queryParameters
            let after = query.get("created_after").flatMap { ISO8601DateFormatter().date(from: String($0)) }
            let (items, maxPerPage) = state.withLock { state -> ([JSONValue], Int) in
                let matching = state.pipelines.values.filter { p in
                    p.projectId == projectId && p.source != "parent_pipeline" && (query.get("ref").map { p.ref == $0 } ?? true)
                        && (after.map { p.createdAt >= $0 } ?? true)
                }
                return (matching.sorted { $0.id > $1.id }.map { json($0, state: state) }, state.maxPerPage)
            }
            return paged(items, request: request, maxPerPage: maxPerPage)
        }
        api.get("pipelines/:id") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            let id = context.parameters.get("id", as: Int64.self) ?? 0
            guard let projectId = project(context) else { return Self.notFound("404 Project Not Found") }
            guard let body = state.withLock({ state in state.pipelines[id].flatMap { $0.projectId == projectId ? json($0, state: state) : nil } })
            else { return Self.notFound() }
            return Self.response(.ok, body)
        }
        api.get("pipelines/:id/variables") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            let id = context.parameters.get("id", as: Int64.self) ?? 0
            let role = access.role
            guard let (variables, user) = state.withLock({ state in state.pipelines[id].map { ($0.variables, $0.user) } })
            else { return Self.notFound() }
            // GitLab shows a pipeline's variables to Maintainers and to the user who ran it.
            guard role >= .maintainer || user == Self.tokenUser else { return Self.response(.forbidden, ["message": "403 Forbidden"]) }
            return Self.response(.ok, .array(variables.map { ["key": .string($0.0), "value": .string($0.1), "variable_type": "env_var"] }))
        }
        api.get("pipelines/:id/jobs") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            let id = context.parameters.get("id", as: Int64.self) ?? 0
            guard let (items, maxPerPage) = state.withLock({ state -> ([JSONValue], Int)? in
                guard let p = state.pipelines[id] else { return nil }
                return (p.jobs.sorted { $0.id > $1.id }.map { jobJSON($0, pipeline: p, state: state) }, state.maxPerPage)
            }) else { return Self.notFound() }
            return paged(items, request: request, maxPerPage: maxPerPage)
        }
        for route in ["trigger_jobs", "bridges"] {
            api.get("pipelines/:id/\(route)") { [self] request, context -> Response in
                if let refused = gate(request, trigger: false) { return refused }
                if route == "trigger_jobs" && state.withLock({ $0.legacyBridgesOnly }) { return Self.response(.notFound, ["error": "404 Not Found"]) }
                let id = context.parameters.get("id", as: Int64.self) ?? 0
                guard let (items, maxPerPage) = state.withLock({ state -> ([JSONValue], Int)? in
                    guard let p = state.pipelines[id] else { return nil }
                    let items: [JSONValue] = p.bridges.sorted { $0.id > $1.id }.map { bridge in
                        let downstream: JSONValue = bridge.downstream.flatMap { state.pipelines[$0] }.map { json($0, state: state) } ?? .null
                        return [
                            "id": .int(bridge.id), "name": .string(bridge.name), "stage": "triggers", "status": "success",
                            "pipeline": ["id": .int(p.id), "project_id": .int(p.projectId)], "downstream_pipeline": downstream,
                        ]
                    }
                    return (items, state.maxPerPage)
                }) else { return Self.notFound() }
                return paged(items, request: request, maxPerPage: maxPerPage)
            }
        }
        api.get("jobs/:job/trace") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            let id = context.parameters.get("job", as: Int64.self) ?? 0
            guard let trace = state.withLock({ $0.pipelines.values.flatMap(\.jobs).first { $0.id == id }?.trace }) else { return Self.notFound() }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(bytes: trace)))
        }
        api.post("pipelines/:id/cancel") { [self] request, context -> Response in
            if let refused = gate(request, trigger: false) { return refused }
            let id = context.parameters.get("id", as: Int64.self) ?? 0
            guard let body = state.withLock({ state -> JSONValue? in
                guard state.pipelines[id] != nil else { return nil }
                Self.cancel(id, in: &state)
                return json(state.pipelines[id]!, state: state)
            }) else { return Self.notFound() }
            return Self.response(.ok, body)
        }
        return router
    }
}
