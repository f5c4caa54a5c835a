import Foundation
import TollgateJSON

/// Builds the documented policy input of each phase (see `policies/README.md`).
struct PolicyInputBuilder {
    var now: Date
    var principal: Principal
    var activity: Activity
    var descriptor: DataProductDescriptor
    var tasks: [LifecycleTask]
    var history: [StageRecord]
    var context: LifecycleContext

    func input(_ phase: GatePhase, task: LifecycleTask? = nil, report: TaskReport? = nil) -> JSONValue {
        var o = JSONObject()
        o["event"] = .string(phase.rawValue)
        o["now"] = .string(Timestamp.format(now))
        o["principal"] = ["name": .string(principal.name), "roles": .array(principal.roles.map(JSONValue.string))]
        var product = JSONObject()
        product["id"] = .string(activity.dataProductId)
        product["fullyQualifiedName"] = .string(descriptor.fullyQualifiedName)
        product["name"] = descriptor.name.map(JSONValue.string) ?? .null
        product["version"] = .string(activity.dataProductVersion)
        product["descriptor"] = descriptor.document
        o["dataProduct"] = .object(product)
        let current = history.last { $0.finishedAt == nil }?.stage
        o["lifecycle"] = [
            "stages": .array(descriptor.lifecycle.stageNames.map(JSONValue.string)),
            "current": current.map(JSONValue.string) ?? .null,
            "target": .string(activity.stage),
            "history": .array(
                history.map { record in
                    [
                        "stage": .string(record.stage), "startedAt": .string(Timestamp.format(record.startedAt)),
                        "finishedAt": record.finishedAt.map { .string(Timestamp.format($0)) } ?? .null,
                    ]
                }),
        ]
        o["activity"] = Self.json(activity)
        o["tasks"] = .array(tasks.map(Self.json))
        if let task { o["task"] = Self.json(task) }
        if let report {
            o["result"] = [
                "status": .string(report.status.rawValue), "results": report.results ?? .null,
                "errors": report.errors.map(JSONValue.string) ?? .null,
            ]
        }
        o["context"] = context.jsonValue
        return .object(o)
    }

    static func json(_ a: Activity) -> JSONValue {
        [
            "id": .int(a.id), "stage": .string(a.stage), "status": .string(a.status.rawValue),
            "createdAt": .string(Timestamp.format(a.createdAt)),
            "startedAt": a.startedAt.map { .string(Timestamp.format($0)) } ?? .null,
            "finishedAt": a.finishedAt.map { .string(Timestamp.format($0)) } ?? .null,
        ]
    }

    static func json(_ t: LifecycleTask) -> JSONValue {
        [
            "id": .int(t.id), "key": .string(t.key), "name": t.name.map(JSONValue.string) ?? .null,
            "order": .int(Int64(t.position)), "executor": t.executor.map(JSONValue.string) ?? .null,
            "status": .string(t.status.rawValue), "results": t.results ?? .null,
            "errors": t.errors.map(JSONValue.string) ?? .null,
            "startedAt": t.startedAt.map { .string(Timestamp.format($0)) } ?? .null,
            "finishedAt": t.finishedAt.map { .string(Timestamp.format($0)) } ?? .null,
        ]
    }
}
