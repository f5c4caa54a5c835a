import Foundation
public import TollgateJSON

/// The JSON shapes of ODM's DevOps resources, used by the API and by notifications. ODM carries
/// `results`, `errors`, `template` and `configurations` as strings holding JSON; a task's
/// `template` is its template's definition.
public enum ODMShape {
    static func time(_ date: Date?) -> JSONValue { date.map { .string(Timestamp.formatMilliseconds($0)) } ?? .null }

    public static func activity(_ a: Activity) -> JSONValue {
        var o = JSONObject()
        o["id"] = .int(a.id)
        o["dataProductId"] = .string(a.dataProductId)
        o["dataProductVersion"] = .string(a.dataProductVersion)
        o["stage"] = .string(a.stage)
        o["status"] = .string(a.status.rawValue)
        o["results"] = a.results.map { .string($0.serialized()) } ?? .null
        o["errors"] = a.errors.map(JSONValue.string) ?? .null
        o["createdAt"] = time(a.createdAt)
        o["startedAt"] = time(a.startedAt)
        o["finishedAt"] = time(a.finishedAt)
        return .object(o)
    }

    public static func task(_ t: LifecycleTask) -> JSONValue {
        var o = JSONObject()
        o["id"] = .int(t.id)
        o["activityId"] = .string(String(t.activityId))
        o["name"] = .string(t.displayName)
        o["description"] = .null
        o["executorRef"] = t.executor.map(JSONValue.string) ?? .null
        o["template"] = t.definition.map { .string($0.serialized()) } ?? .null
        o["configurations"] = (t.dispatchedConfigurations ?? t.configurations).map { .string($0.serialized()) } ?? .null
        o["status"] = .string(t.status.rawValue)
        o["results"] = t.results.map { .string($0.serialized()) } ?? .null
        o["errors"] = t.errors.map(JSONValue.string) ?? .null
        o["createdAt"] = time(t.createdAt)
        o["startedAt"] = time(t.startedAt)
        o["finishedAt"] = time(t.finishedAt)
        return .object(o)
    }

    public static func lifecycle(_ r: StageRecord) -> JSONValue {
        [
            "id": .int(r.id), "dataProductId": .string(r.dataProductId), "dataProductVersion": .string(r.dataProductVersion),
            "stage": .string(r.stage), "results": r.results.map { .string($0.serialized()) } ?? .null,
            "startedAt": time(r.startedAt), "finishedAt": time(r.finishedAt),
        ]
    }
}
