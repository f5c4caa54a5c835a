import Hummingbird
import TollgateJSON
import TollgateLifecycle
import TollgateStore

extension DevOpsAPI {
    func createActivity(_ request: Request, _ context: TollgateRequestContext) async throws -> JSONResponse {
        var request = request
        guard let body = try await request.jsonBody(context: context) else {
            throw ODMError.unreadableBody("the request needs a JSON body with dataProductId, dataProductVersion and stage")
        }
        func field(_ name: String) throws -> String {
            guard let value = body[name]?.stringValue, !value.isEmpty else {
                throw ODMError(LifecycleError.activityInvalid("the activity needs \(name) (a non-empty string)"))
            }
            return value
        }
        let product = try field("dataProductId"), version = try field("dataProductVersion"), stage = try field("stage")
        let start = query(request, "startAfterCreation") == "true"
        let headers = Self.secretHeaders(request)
        let creation = try await run { () async throws(LifecycleError) -> LifecycleEngine.Creation in
            try await engine.createActivity(
                dataProductId: product, version: version, stage: stage, principal: caller(context), startWith: start ? headers : nil)
        }
        switch creation.started {
        case nil:
            await engine.setSecretHeaders(headers, activityId: creation.activity.id)
            return JSONResponse(value: ODMResources.activity(creation.activity), status: .created)
        case .success(let started):
            return JSONResponse(value: ODMResources.activity(started), status: .created)
        case .failure(let error):
            var answer = ODMError(error)
            if case .blocked = error { answer.message = "activity \(creation.activity.id) was created and stays PLANNED: " + answer.message }
            throw answer
        }
    }

    func searchActivities(_ request: Request) async throws -> JSONResponse {
        var filter = ActivityFilter(
            dataProductId: query(request, "dataProductId"), dataProductVersion: query(request, "dataProductVersion"),
            stage: query(request, "stage"))
        if let status = query(request, "status") {
            guard let parsed = ActivityStatus(rawValue: status) else {
                throw ODMError.unreadableBody(
                    "unknown status '\(status)' (one of \(ActivityStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            filter.status = parsed
        }
        var activities = try await store.activities(matching: filter)
        // Optional paging (ODM has none; without `limit` the answer is the whole list, as in ODM):
        // `limit` caps the page, `cursor` continues after the id a previous page ended with, and the
        // `X-Next-Cursor` header gives the cursor of the next page while there is one.
        var next: Int64?
        if let text = query(request, "cursor") {
            guard let cursor = Int64(text) else { throw ODMError.unreadableBody("cursor must be the id a previous page ended with") }
            activities = activities.filter { $0.id > cursor }
        }
        if let text = query(request, "limit") {
            guard let limit = Int(text), limit > 0 else { throw ODMError.unreadableBody("limit must be a positive whole number") }
            if activities.count > limit {
                activities = Array(activities.prefix(limit))
                next = activities.last?.id
            }
        }
        var response = JSONResponse(value: .array(activities.map(ODMResources.activity)))
        response.nextCursor = next
        return response
    }

    func readActivity(_ context: some RequestContext) async throws -> JSONResponse {
        let id = try id(context)
        let activity = try await run { () async throws(LifecycleError) -> Activity in try await engine.activity(id: id) }
        return JSONResponse(value: ODMResources.activity(activity))
    }

    func activityStatus(_ context: some RequestContext) async throws -> JSONResponse {
        let id = try id(context)
        let activity = try await run { () async throws(LifecycleError) -> Activity in try await engine.activity(id: id) }
        return JSONResponse(value: ODMResources.status(activity.status.rawValue))
    }

    func activityAction(_ request: Request, _ context: TollgateRequestContext) async throws -> JSONResponse {
        let id = try id(context)
        let activity: Activity
        switch query(request, "action") {
        case "START":
            await engine.setSecretHeaders(Self.secretHeaders(request), activityId: id)
            activity = try await run { () async throws(LifecycleError) -> Activity in
                try await engine.startActivity(id: id, principal: caller(context))
            }
        case "ABORT":
            activity = try await run { () async throws(LifecycleError) -> Activity in try await engine.abortActivity(id: id) }
        case let other:
            throw ODMError.invalidActivityAction("action must be START or ABORT, not \(other.map { "'\($0)'" } ?? "missing")")
        }
        return JSONResponse(value: ODMResources.status(activity.status.rawValue))
    }

    func deleteActivity(_ context: some RequestContext) async throws -> JSONResponse {
        let id = try id(context)
        let activity = try await run { () async throws(LifecycleError) -> Activity in
            let activity = try await engine.activity(id: id)
            try await engine.deleteActivity(id: id)
            return activity
        }
        return JSONResponse(value: ODMResources.activity(activity))
    }

    func lifecycles(
        _ request: Request, _ context: some RequestContext, product: String?, version: String?, currentOnly: Bool
    ) async throws -> Response {
        var records = try await store.allStageRecords()
        if let product { records = records.filter { $0.dataProductId == product } }
        if let version { records = records.filter { $0.dataProductVersion == version } }
        if currentOnly {
            // ODM answers 200 with an empty body when a version has no current stage yet, and its
            // Java client reads that as "none".
            guard let current = records.last(where: { $0.finishedAt == nil }) else { return Response(status: .ok) }
            return try JSONResponse(value: ODMResources.lifecycle(current)).response(from: request, context: context)
        }
        return try JSONResponse(value: .array(records.map(ODMResources.lifecycle))).response(from: request, context: context)
    }
}
