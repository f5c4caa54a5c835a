import Foundation
import NIOHTTP1
import TollgateJSON
import TollgateLifecycle

/// Azure DevOps' REST API (api-version 7.1) as the executor uses it: the Runs API to start and read
/// pipeline runs, the Builds API to cancel them, authenticated with a PAT or a bearer token, and
/// errors that say what Azure DevOps said and what to do about it.
struct AzureDevOpsAPI: Sendable {
    static let apiVersion = "7.1"

    /// The organization's address without a trailing slash (`https://dev.azure.com/contoso`).
    let organization: String
    let project: String
    /// The executor's name, for pointing at its settings in messages.
    let executor: String
    let tokenKind: AzureDevOpsExecutorSettings.TokenKind
    let authorization: (String, String)
    /// The token itself, only to keep it out of every message.
    private let token: String
    let http: OutboundHTTP

    init(executor: String, settings: AzureDevOpsExecutorSettings, http: OutboundHTTP) {
        var organization = settings.organization
        while organization.hasSuffix("/") { organization.removeLast() }
        self.organization = organization
        project = settings.project
        self.executor = executor
        tokenKind = settings.tokenKind
        token = settings.token
        authorization = Self.authorization(token: settings.token, kind: settings.tokenKind)
        self.http = http
    }

    /// `Basic base64(":" + PAT)` for a PAT, `Bearer <token>` for an Entra token.
    static func authorization(token: String, kind: AzureDevOpsExecutorSettings.TokenKind) -> (String, String) {
        switch kind {
        case .pat: ("Authorization", "Basic " + Data((":" + token).utf8).base64EncodedString())
        case .bearer: ("Authorization", "Bearer " + token)
        }
    }

    /// `text` as one URL path segment.
    static func segment(_ text: String) -> String { URLEncoding.segment(text) }

    private var apis: String { "\(organization)/\(Self.segment(project))/_apis" }

    func runsURL(pipelineId: Int64) -> String {
        "\(apis)/pipelines/\(pipelineId)/runs?api-version=\(Self.apiVersion)"
    }

    func runURL(_ run: AzureDevOpsRunReference) -> String {
        "\(apis)/pipelines/\(run.pipelineId)/runs/\(run.runId)?api-version=\(Self.apiVersion)"
    }

    func buildURL(buildId: Int64) -> String {
        "\(apis)/build/builds/\(buildId)?api-version=\(Self.apiVersion)"
    }

    /// Starts a run; the answer is the new run.
    func startRun(_ run: AzureDevOpsRunRequest, what: String) async throws(AzureDevOpsFailure) -> JSONValue {
        try await send(.POST, runsURL(pipelineId: run.pipelineId), body: run.body, idempotent: false, pipelineId: run.pipelineId, what: what).json
    }

    /// Reads a run, with how long Azure DevOps asked to be left alone (`Retry-After` on a success).
    func run(_ reference: AzureDevOpsRunReference, what: String) async throws(AzureDevOpsFailure) -> (json: JSONValue, retryAfter: Duration?) {
        try await send(.GET, runURL(reference), body: nil, idempotent: true, pipelineId: reference.pipelineId, what: what)
    }

    /// Asks the build behind a run to stop; the answer is the build.
    func cancelBuild(_ reference: AzureDevOpsRunReference, what: String) async throws(AzureDevOpsFailure) -> JSONValue {
        try await send(
            .PATCH, buildURL(buildId: reference.runId), body: ["status": "cancelling"], idempotent: true, pipelineId: reference.pipelineId,
            what: what
        ).json
    }

    private func send(
        _ method: HTTPMethod, _ url: String, body: JSONValue?, idempotent: Bool, pipelineId: Int64, what: String
    ) async throws(AzureDevOpsFailure) -> (json: JSONValue, retryAfter: Duration?) {
        let answer: OutboundHTTP.Answer
        do {
            answer = try await http.send(
                method, url, headers: [authorization], body: body?.serialized(), idempotent: idempotent,
                what: "Azure DevOps (organization \(organization))")
        } catch {
            var failure = AzureDevOpsFailure(error, service: "Azure DevOps", what: what)
            failure.message = scrubbed(failure.message)
            throw failure
        }
        let json = try? JSONValue.parse(answer.body)
        if answer.status == 203 || (200..<300).contains(answer.status) && json?.objectValue == nil && Self.looksLikeHTML(answer.body) {
            throw AzureDevOpsFailure(retryable: false, status: answer.status, message: refusedToken(status: answer.status, what: what))
        }
        guard (200..<300).contains(answer.status) else {
            throw AzureDevOpsFailure(
                retryable: false, status: answer.status,
                message: scrubbed(explain(status: answer.status, said: json?["message"]?.stringValue, pipelineId: pipelineId, what: what)))
        }
        guard let json, json.objectValue != nil else {
            throw AzureDevOpsFailure(
                retryable: method == .GET, status: answer.status,
                message: "Azure DevOps answered \(what) with something that is not a JSON object (status \(answer.status))")
        }
        let retryAfter = OutboundHTTP.pause(answer.headers).retryAfter ?? answer.retryAfter
        return (json, retryAfter)
    }

    static func looksLikeHTML(_ body: String) -> Bool {
        body.drop { $0.isWhitespace }.hasPrefix("<")
    }

    /// `text` with the token (and its Basic form) replaced by `***`.
    func scrubbed(_ text: String) -> String {
        guard !token.isEmpty else { return text }
        return text.replacingOccurrences(of: token, with: "***").replacingOccurrences(of: authorization.1, with: "***")
    }

    func refusedToken(status: Int, what: String) -> String {
        let how = status == 401 ? "(401)" : "(\(status) with a sign-in page instead of an answer)"
        switch tokenKind {
        case .pat:
            return "Azure DevOps refused the token \(how) when \(what): check the PAT (executors.\(executor).token), that it has not"
                + " expired and that it has Build (read & execute) scope in organization \(organization)"
        case .bearer:
            return "Azure DevOps refused the token \(how) when \(what): check the bearer token (executors.\(executor).token), that it has"
                + " not expired and that it was issued for Azure DevOps (resource 499b84ac-1321-427f-aa17-267ca6975798)"
        }
    }

    func explain(status: Int, said: String?, pipelineId: Int64, what: String) -> String {
        let quoted = said.map { ": Azure DevOps said \"\($0)\"" } ?? ""
        switch status {
        case 401:
            return refusedToken(status: status, what: what)
        case 403:
            return "Azure DevOps did not allow \(what) (403)\(quoted). The token's identity needs the Queue builds and Stop builds"
                + " permissions on pipeline \(pipelineId) of project \(project)"
        case 404:
            return "Azure DevOps found nothing when \(what) (404)\(quoted). Check that pipeline \(pipelineId) exists in project \(project)"
                + " of \(organization) (pipelineId in the task's template definition or executors.\(executor).pipelineId,"
                + " executors.\(executor).project) and that the token can see it"
        case 400 where said?.contains("Unexpected parameter") == true:
            return "Azure DevOps refused \(what) (400)\(quoted). Declare every parameter the task passes in the pipeline's YAML"
                + " `parameters:`, including callbackRef, which Tollgate always passes"
        default:
            return "Azure DevOps refused \(what) (\(status))\(quoted)"
        }
    }

}

