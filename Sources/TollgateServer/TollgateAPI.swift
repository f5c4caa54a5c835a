import Foundation
import Hummingbird
import NIOPosix
import TollgateJSON
import TollgateLifecycle
import TollgatePolicy

/// Tollgate's own endpoints under `/api/v1/tollgate`: the policy set, dry-run evaluation,
/// reload, and the decisions of an activity.
struct TollgateAPI: Sendable {
    let policies: PolicyEngine
    /// Where policies are loaded and evaluated, off the threads that serve requests.
    let threads: NIOThreadPool
    let store: any AuditStore
    /// Makes a reloaded set the one every replica follows (nil with one process).
    let publish: (@Sendable (String) async -> Void)?
    /// Told of each verification of the whole log.
    let metrics: TollgateMetrics

    func register(on router: Router<TollgateRequestContext>) {
        let group = router.group("api/v1/tollgate")
        group.get("policies") { _, _ in JSONResponse(value: self.policySet()) }
        group.post("policies/reload") { _, _ in
            do {
                let set = try await self.threads.runIfActive { [policies] in try policies.reload() }
                await self.publish?(set.revision)
                return JSONResponse(value: ["revision": .string(set.revision), "loaded": .int(Int64(set.policies.count)), "broken": .int(Int64(set.problems.count))])
            } catch {
                throw ODMError(status: .unprocessableContent, code: "42210", summary: "Policy reload failed", message: "\(error)")
            }
        }
        group.post("policies/evaluate") { request, context in try await self.evaluate(request, context) }
        group.get("decisions") { request, _ in try await self.decisions(request) }
        group.get("decisions/verify") { _, _ in
            let verification = try await self.store.verifyLog(since: nil, maximumProblems: 10)
            self.metrics.verified(
                through: verification.head?.sequence, problems: (verification.chain == nil ? 0 : 1) + verification.completeness.count, at: Date())
            return JSONResponse(value: DecisionRendering.json(verification))
        }
        group.get("decisions/export") { request, _ in try self.export(request) }
        group.get("decisions/:sequence") { _, context in
            guard let sequence = context.parameters.get("sequence", as: Int64.self) else {
                throw ODMError.unreadableBody("the decision's sequence number in the path must be an integer")
            }
            guard let record = try await self.store.decision(sequence: sequence) else {
                throw ODMError(status: .notFound, code: "40421", summary: "Decision not found", message: "the log has no decision \(sequence)")
            }
            return JSONResponse(value: DecisionRendering.json(record))
        }
        group.get("tasks/:id/history") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else {
                throw ODMError.unreadableBody("the task id in the path must be an integer")
            }
            guard try await self.store.task(id: id) != nil else {
                throw ODMError(status: .notFound, code: "40411", summary: "Task not found", message: "no task \(id)")
            }
            let kind: String? = request.uri.queryParameters.get("kind").map { String($0) }
            let events = try await self.store.history(taskId: id).filter { kind == nil || $0.kind == kind }
            return JSONResponse(value: .array(events.map(Self.event)))
        }
    }

    func policySet() -> JSONValue {
        let set = policies.policySet
        return [
            "revision": .string(set.revision),
            "policies": .array(
                set.files.map { file in
                    var o = JSONObject()
                    o["name"] = .string(file.name)
                    o["file"] = .string(file.path)
                    o["revision"] = .string(file.revision)
                    if let policy = file.policy {
                        o["phases"] = .array(policy.phases.map { .string($0.rawValue) })
                        o["blocking"] = .bool(policy.blocking)
                        o["description"] = .string(policy.description)
                    }
                    if let problem = file.problem {
                        o["broken"] = ["line": .int(Int64(problem.line)), "kind": .string(problem.kind.rawValue), "message": .string(problem.message)]
                    }
                    return .object(o)
                }),
        ]
    }

    /// `POST /api/v1/tollgate/policies/evaluate?phase=…` with an input: the verdict, nothing recorded.
    func evaluate(_ request: Request, _ context: some RequestContext) async throws -> JSONResponse {
        var request = request
        guard let input = try await request.jsonBody(context: context) else {
            throw ODMError.unreadableBody("send the policy input as the JSON body")
        }
        let query: String? = request.uri.queryParameters.get("phase").map { String($0) }
        let name = query ?? input["event"]?.stringValue ?? ""
        guard let phase = PolicyPhase(rawValue: name) else {
            throw ODMError.unreadableBody("name the phase: ?phase=ACTIVITY_STAGE_TRANSITION (or an event field in the input)")
        }
        let decision = try await threads.runIfActive { [policies] in policies.evaluate(phase, input: PolicyDocument(input)) }
        var body = JSONObject()
        body["phase"] = .string(phase.rawValue)
        body["verdict"] = .string(decision.verdict.rawValue)
        body["policySetRevision"] = .string(decision.policySetRevision)
        body["results"] = .array(decision.results.map(\.jsonValue))
        return JSONResponse(value: .object(body))
    }

    /// A page of decisions when `limit` is not given, and the most one page holds.
    static let defaultPage = 100, maximumPage = 1_000

    /// `GET /api/v1/tollgate/decisions?…`: the decisions a filter selects, a page at a time
    /// (`limit`, 100 by default and at most 1,000, then `cursor` from `X-Next-Cursor`). The whole
    /// log is read with `decisions/export`, which streams.
    func decisions(_ request: Request) async throws -> JSONResponse {
        var filter = try Self.filter(request)
        filter.limit = min(filter.limit ?? Self.defaultPage, Self.maximumPage)
        let records = try await store.decisions(matching: filter)
        var response = JSONResponse(value: .array(records.map(DecisionRendering.json)))
        if let limit = filter.limit, records.count == limit { response.nextCursor = records.last?.sequence }
        return response
    }

    static func filter(_ request: Request) throws -> DecisionFilter {
        let query = request.uri.queryParameters
        do {
            return try DecisionFilterParser.parse { name in query.get(name).map { String($0) } }
        } catch {
            throw ODMError.unreadableBody("\(error)")
        }
    }

    /// `GET /api/v1/tollgate/decisions/export?format=ndjson|csv&…`: every decision the filter
    /// selects, streamed, ending with the log position and hash the export covers.
    func export(_ request: Request) throws -> Response {
        let filter = try Self.filter(request)
        let name = request.uri.queryParameters.get("format").map { String($0) } ?? "ndjson"
        guard let format = DecisionExport.Format(rawValue: name) else { throw ODMError.unreadableBody("format must be ndjson or csv, not '\(name)'") }
        let store = self.store
        let body = ResponseBody { writer in
            var export = try await DecisionExport(store: store, filter: filter, format: format)
            while let piece = try await export.next() { try await writer.write(ByteBuffer(string: piece)) }
            try await writer.finish(nil)
        }
        let type = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
        return Response(status: .ok, headers: [.contentType: type], body: body)
    }

    static func event(_ e: ExecutionEvent) -> JSONValue {
        ["at": .string(Timestamp.formatMilliseconds(e.at)), "kind": .string(e.kind), "message": .string(e.message), "data": e.data ?? .null]
    }

}
