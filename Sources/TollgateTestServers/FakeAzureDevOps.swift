public import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
public import TollgateJSON

/// An Azure DevOps organization on loopback speaking the Runs API (start and read pipeline runs)
/// and the Builds API (cancel a build), api-version 7.0 or 7.1, with Azure DevOps' error bodies
/// (`{"$id":"1","innerException":null,"message":…,"typeKey":…}`), its answers to a bad token (401
/// with an empty body, or 203 with a sign-in page), rate limiting (429 with `Retry-After`) and
/// service errors.
///
/// Runs stay `inProgress` until the test completes them (`complete(runId:result:)`), unless new
/// runs are set to complete at once (`completeNewRuns(with:)`). A cancelled run is `canceling`
/// and becomes `completed`/`canceled` the next time it is read.
public final class FakeAzureDevOps: Sendable {
    /// A request received, as the test may check it.
    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var query: String?
        public var authorization: String?
        /// The JSON body, when there was one.
        public var body: JSONValue?
    }

    struct Pipeline {
        var name: String
        /// The parameters its YAML declares (nil: any).
        var parameters: Set<String>?
        /// The variables marked "settable at queue time". The organization limits variables set at
        /// queue time (the default of new organizations): a run may set only these.
        var settableVariables: Set<String> = []
    }

    struct Run {
        var id: Int64
        var pipelineId: Int64
        var state: String
        var result: String?
        var createdDate: Date
        var finishedDate: Date?
        var templateParameters: JSONValue
        var refName: String?
        /// The variables the run was started with.
        var variables: [String: String] = [:]
    }

    struct State {
        var pipelines: [Int64: Pipeline] = [12: Pipeline(name: "deploy")]
        var runs: [Int64: Run] = [:]
        var nextRun: Int64 = 123
        var completeNewRunsWith: String?
        var throttled = 0
        var retryAfterSeconds = 1
        var failing = 0
        var signInPage = false
        var requests: [Received] = []
    }

    /// The organization's name, the first segment of every path.
    public let organization: String
    /// The one project the organization has.
    public let project: String
    /// The personal access token accepted as `Basic base64(":" + pat)`.
    public let pat: String
    /// An Entra token accepted as `Bearer`, besides the PAT.
    public let bearerToken: String
    let state = Mutex(State())
    let server = LoopbackServer()

    public init(
        organization: String = "contoso", project: String = "platform", pat: String = "azdo-pat-good-52chars",
        bearerToken: String = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra"
    ) {
        self.organization = organization
        self.project = project
        self.pat = pat
        self.bearerToken = bearerToken
    }

    /// `http://127.0.0.1:<port>/<organization>`, as `https://dev.azure.com/<organization>`.
    public var organizationURL: String { "\(server.address)/\(organization)" }
    /// Serves on loopback; returns once the port answers.
    public func start(client: HTTPClient) async throws { try await server.start(router(), client: client) }
    /// Stops serving.
    public func stop() { server.stop() }

    // MARK: Scripting

    /// Adds a pipeline; `parameters` are those its YAML declares (nil: it takes any).
    public func addPipeline(id: Int64, name: String, parameters: Set<String>? = nil, settableVariables: Set<String> = []) {
        state.withLock { $0.pipelines[id] = Pipeline(name: name, parameters: parameters, settableVariables: settableVariables) }
    }

    /// Runs started from now on complete at once with `result` (nil: they stay `inProgress`).
    public func completeNewRuns(with result: String?) { state.withLock { $0.completeNewRunsWith = result } }

    /// Completes a run with `result` (`succeeded`, `failed`, `canceled`, `unknown`).
    public func complete(runId: Int64, result: String) {
        state.withLock { state in
            state.runs[runId]?.state = "completed"
            state.runs[runId]?.result = result
            state.runs[runId]?.finishedDate = Date()
        }
    }

    /// The next `count` requests answer 429 with `Retry-After: seconds`.
    public func throttle(_ count: Int, retryAfterSeconds: Int = 1) {
        state.withLock {
            $0.throttled = count
            $0.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// The next `count` requests answer 503.
    public func failNext(_ count: Int) { state.withLock { $0.failing = count } }

    /// Answers a bad token with 203 and a sign-in page instead of 401.
    public func answerBadTokensWithSignInPage(_ on: Bool = true) { state.withLock { $0.signInPage = on } }

    /// Requests received, in order.
    public var requests: [Received] { state.withLock { $0.requests } }

    /// The ids of the runs started, in order.
    public var runIds: [Int64] { state.withLock { $0.runs.keys.sorted() } }

    /// The variables run `id` was started with.
    public func variables(ofRun id: Int64) -> [String: String] { state.withLock { $0.runs[id]?.variables ?? [:] } }

    /// A run's state and result.
    public func run(_ id: Int64) -> (state: String, result: String?)? { state.withLock { $0.runs[id].map { ($0.state, $0.result) } } }

    // MARK: Wire format

    static func response(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8; api-version=7.1"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body.serialized())))
    }

    /// Azure DevOps' error body.
    static func error(_ status: HTTPResponse.Status, _ message: String, typeKey: String) -> Response {
        response(
            status,
            [
                "$id": "1", "innerException": nil, "message": .string(message),
                "typeName": .string("Microsoft.Azure.Pipelines.WebApi.\(typeKey), Microsoft.Azure.Pipelines.WebApi"),
                "typeKey": .string(typeKey), "errorCode": 0, "eventId": 3000,
            ])
    }

    static let signInPage = """
        <!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head>
        <body><form action="https://app.vssps.visualstudio.com/_signin" method="post"></form></body></html>
        """

    func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    func json(_ run: Run, pipelineName: String) -> JSONValue {
        let apis = "\(organizationURL)/\(project)/_apis"
        var object: JSONObject = [
            "_links": [
                "self": ["href": .string("\(apis)/pipelines/\(run.pipelineId)/runs/\(run.id)")],
                "web": ["href": .string("\(organizationURL)/\(project)/_build/results?buildId=\(run.id)")],
                "pipeline.web": ["href": .string("\(organizationURL)/\(project)/_build/definition?definitionId=\(run.pipelineId)")],
            ],
            "templateParameters": run.templateParameters,
            "pipeline": [
                "url": .string("\(apis)/pipelines/\(run.pipelineId)?revision=3"), "id": .int(run.pipelineId), "revision": 3,
                "name": .string(pipelineName), "folder": "\\",
            ],
            "state": .string(run.state),
            "createdDate": .string(stamp(run.createdDate)),
            "url": .string("\(apis)/pipelines/\(run.pipelineId)/runs/\(run.id)"),
            "id": .int(run.id),
            "name": .string("20240101.\(run.id - 122)"),
        ]
        if let result = run.result { object["result"] = .string(result) }
        if let finished = run.finishedDate { object["finishedDate"] = .string(stamp(finished)) }
        return .object(object)
    }

    func buildJSON(_ run: Run, pipelineName: String, status: String) -> JSONValue {
        [
            "id": .int(run.id), "buildNumber": .string("20240101.\(run.id - 122)"), "status": .string(status),
            "result": run.result.map(JSONValue.string) ?? .null, "sourceBranch": run.refName.map(JSONValue.string) ?? .null,
            "definition": ["id": .int(run.pipelineId), "name": .string(pipelineName)],
            "_links": ["web": ["href": .string("\(organizationURL)/\(project)/_build/results?buildId=\(run.id)")]],
        ]
    }

    /// Azure DevOps' answer before routing: records the request, then rate limits, service
    /// errors, authentication, organization, project and api-version.
    func gate(_ request: Request, _ context: BasicRequestContext, body: JSONValue?) -> Response? {
        let authorization = request.headers[.authorization]
        let (throttled, failing, signInPage) = state.withLock { state -> (Int?, Bool, Bool) in
            state.requests.append(
                Received(method: request.method.rawValue, path: request.uri.path, query: request.uri.query, authorization: authorization, body: body))
            if state.throttled > 0 {
                state.throttled -= 1
                return (state.retryAfterSeconds, false, state.signInPage)
            }
            if state.failing > 0 {
                state.failing -= 1
                return (nil, true, state.signInPage)
            }
            return (nil, false, state.signInPage)
        }
        if let seconds = throttled {
            return Response(
                status: .tooManyRequests,
                headers: [
                    .contentType: "text/plain", .retryAfter: String(seconds), HTTPField.Name("X-RateLimit-Resource")!: "ATCPU",
                    HTTPField.Name("X-RateLimit-Delay")!: "0.000", HTTPField.Name("X-RateLimit-Limit")!: "200",
                    HTTPField.Name("X-RateLimit-Remaining")!: "0",
                ],
                body: .init(byteBuffer: ByteBuffer(string: "Request was blocked due to exceeding usage of resource 'ATCPU'.")))
        }
        if failing {
            return Self.error(
                .serviceUnavailable, "The service is temporarily unavailable. Please try again later.", typeKey: "ServiceUnavailableException")
        }
        let basic = "Basic " + Data((":" + pat).utf8).base64EncodedString()
        guard authorization == basic || authorization == "Bearer " + bearerToken else {
            if signInPage {
                return Response(
                    status: .init(code: 203, reasonPhrase: "Non-Authoritative Information"), headers: [.contentType: "text/html; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: Self.signInPage)))
            }
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic realm=\"https://tfsprodweu2.visualstudio.com/\"", HTTPField.Name("X-TFS-ProcessId")!: "0"])
        }
        guard context.parameters.get("org") == organization else {
            return Response(status: .notFound, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>404</html>")))
        }
        guard context.parameters.get("project")?.removingPercentEncoding == project else {
            let name = context.parameters.get("project")?.removingPercentEncoding ?? ""
            return Self.error(
                .notFound,
                "TF200016: The following project does not exist: \(name). Verify that the name of the project is correct and that the"
                    + " project exists on the specified Azure DevOps Server.",
                typeKey: "ProjectDoesNotExistWithNameException")
        }
        guard let version = request.uri.queryParameters.get("api-version") else {
            return Self.error(
                .badRequest, "No api-version was supplied for the \(request.method.rawValue) request. Please supply an api-version.",
                typeKey: "VssVersionNotSpecifiedException")
        }
        guard version == "7.1" || version == "7.0" else {
            return Self.error(
                .badRequest, "The requested REST API version of \(version) is not supported here.", typeKey: "VssVersionOutOfRangeException")
        }
        return nil
    }

    func body(_ request: Request) async -> JSONValue? {
        guard let buffer = try? await request.body.collect(upTo: 1 << 20), buffer.readableBytes > 0 else { return nil }
        return (try? JSONValue.parse(Array(buffer.readableBytesView))) ?? .string(String(buffer: buffer))
    }

    func startRun(pipelineId: Int64, body: JSONValue?) -> Response {
        state.withLock { state -> Response in
            guard let pipeline = state.pipelines[pipelineId] else {
                return Self.error(.notFound, "Pipeline with id \(pipelineId) not found.", typeKey: "PipelineNotFoundException")
            }
            let parameters = body?["templateParameters"]?.objectValue ?? [:]
            if let declared = pipeline.parameters, let unexpected = parameters.keys.first(where: { !declared.contains($0) }) {
                return Self.error(.badRequest, "Unexpected parameter '\(unexpected)'", typeKey: "PipelineValidationException")
            }
            if let wrong = parameters.first(where: { $0.value.stringValue == nil }) {
                return Self.error(.badRequest, "The value of parameter '\(wrong.key)' must be a string.", typeKey: "PipelineValidationException")
            }
            var variables: [String: String] = [:]
            for (name, value) in body?["variables"]?.objectValue ?? [:] { variables[name] = value["value"]?.stringValue ?? "" }
            let refused = variables.keys.filter { !pipeline.settableVariables.contains($0) }.sorted()
            if !refused.isEmpty {
                return Self.error(
                    .badRequest,
                    "You can't set the following variables (\(refused.joined(separator: ", "))). If you want to be able to set these variables, "
                        + "then edit the pipeline and select Settable at queue time on the variables tab of the pipeline editor.",
                    typeKey: "PipelineValidationException")
            }
            let id = state.nextRun
            state.nextRun += 1
            var run = Run(
                id: id, pipelineId: pipelineId, state: "inProgress", result: nil, createdDate: Date(), finishedDate: nil,
                templateParameters: .object(parameters), refName: body?["resources"]?["repositories"]?["self"]?["refName"]?.stringValue,
                variables: variables)
            if let result = state.completeNewRunsWith {
                run.state = "completed"
                run.result = result
                run.finishedDate = Date()
            }
            state.runs[id] = run
            return Self.response(.ok, json(run, pipelineName: pipeline.name))
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post(":org/:project/_apis/pipelines/:pipelineId/runs") { [self] request, context -> Response in
            let body = await body(request)
            if let refused = gate(request, context, body: body) { return refused }
            return startRun(pipelineId: context.parameters.get("pipelineId", as: Int64.self) ?? 0, body: body)
        }
        router.get(":org/:project/_apis/pipelines/:pipelineId/runs/:runId") { [self] request, context -> Response in
            if let refused = gate(request, context, body: nil) { return refused }
            let pipelineId = context.parameters.get("pipelineId", as: Int64.self) ?? 0
            let runId = context.parameters.get("runId", as: Int64.self) ?? 0
            return state.withLock { state -> Response in
                guard let pipeline = state.pipelines[pipelineId] else {
                    return Self.error(.notFound, "Pipeline with id \(pipelineId) not found.", typeKey: "PipelineNotFoundException")
                }
                guard var run = state.runs[runId], run.pipelineId == pipelineId else {
                    return Self.error(.notFound, "Run \(runId) not found for pipeline \(pipelineId).", typeKey: "PipelineRunNotFoundException")
                }
                let answer = json(run, pipelineName: pipeline.name)
                if run.state == "canceling" {
                    run.state = "completed"
                    run.result = "canceled"
                    run.finishedDate = Date()
                    state.runs[runId] = run
                }
                return Self.response(.ok, answer)
            }
        }
        router.patch(":org/:project/_apis/build/builds/:buildId") { [self] request, context -> Response in
            let body = await body(request)
            if let refused = gate(request, context, body: body) { return refused }
            let buildId = context.parameters.get("buildId", as: Int64.self) ?? 0
            return state.withLock { state -> Response in
                guard var run = state.runs[buildId] else {
                    return Self.error(
                        .notFound, "The requested build \(buildId) could not be found.", typeKey: "BuildNotFoundException")
                }
                let name = state.pipelines[run.pipelineId]?.name ?? "pipeline"
                if run.state == "completed" { return Self.response(.ok, buildJSON(run, pipelineName: name, status: "completed")) }
                guard body?["status"]?.stringValue == "cancelling" else {
                    return Self.error(.badRequest, "Only the status cancelling is supported by this fake.", typeKey: "InvalidBuildStatusException")
                }
                run.state = "canceling"
                state.runs[buildId] = run
                return Self.response(.ok, buildJSON(run, pipelineName: name, status: "cancelling"))
            }
        }
        return router
    }
}
