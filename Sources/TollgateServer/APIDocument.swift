import TollgateJSON

/// The OpenAPI document of every endpoint, served at `/openapi.json`. A test checks it against
/// the router's routes, so the two cannot drift apart.
enum APIDocument {
    struct Operation {
        let method: String
        /// OpenAPI path (`/api/v1/pp/devops/activities/{id}`).
        let path: String
        let summary: String
        let tag: String
        var query: [String] = []
        var roles: String
    }

    static let devops = "/api/v1/pp/devops"
    static let own = "/api/v1/tollgate"

    static let operations: [Operation] = [
        Operation(method: "post", path: "\(devops)/activities", summary: "Create an activity (optionally start it)", tag: "activities", query: ["startAfterCreation"], roles: "submitter"),
        Operation(method: "get", path: "\(devops)/activities", summary: "Search activities", tag: "activities", query: ["dataProductId", "dataProductVersion", "stage", "status", "limit", "cursor"], roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/activities/{id}", summary: "Read an activity", tag: "activities", roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/activities/{id}/status", summary: "Read an activity's status", tag: "activities", roles: "submitter, auditor"),
        Operation(method: "patch", path: "\(devops)/activities/{id}/status", summary: "Start or abort an activity", tag: "activities", query: ["action"], roles: "submitter"),
        Operation(method: "delete", path: "\(devops)/activities/{id}", summary: "Delete a PLANNED activity", tag: "activities", roles: "submitter"),
        Operation(method: "get", path: "\(devops)/tasks", summary: "Search tasks", tag: "tasks", query: ["activityId", "executor", "status"], roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/tasks/{id}", summary: "Read a task", tag: "tasks", roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/tasks/{id}/status", summary: "Read a task's status", tag: "tasks", roles: "submitter, auditor"),
        Operation(method: "patch", path: "\(devops)/tasks/{id}/status", summary: "STOP: the executor's callback (token from callbackRef); START, ABORT: one task", tag: "tasks", query: ["action", "token"], roles: "submitter (START, ABORT); the task token (STOP)"),
        Operation(method: "get", path: "\(devops)/lifecycles", summary: "Stage history of every version", tag: "lifecycles", roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/lifecycles/{product}", summary: "Stage history of a product", tag: "lifecycles", roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/lifecycles/{product}/{version}", summary: "Stage history of a version", tag: "lifecycles", roles: "submitter, auditor"),
        Operation(method: "get", path: "\(devops)/lifecycles/{product}/{version}/current", summary: "A version's current stage", tag: "lifecycles", roles: "submitter, auditor"),
        Operation(method: "get", path: "\(own)/policies", summary: "The loaded policy set, broken policies with their errors", tag: "policies", roles: "policy-admin, auditor"),
        Operation(method: "post", path: "\(own)/policies/reload", summary: "Reload the policy directory (the whole set swaps at once)", tag: "policies", roles: "policy-admin"),
        Operation(method: "post", path: "\(own)/policies/evaluate", summary: "Dry run: evaluate a phase on the posted input; nothing is recorded", tag: "policies", query: ["phase"], roles: "policy-admin"),
        Operation(method: "get", path: "\(own)/decisions", summary: "Decisions a filter selects, a page at a time (X-Next-Cursor)", tag: "decisions", query: DecisionFilterParser.names, roles: "auditor"),
        Operation(method: "get", path: "\(own)/decisions/export", summary: "Every decision a filter selects as NDJSON or CSV, ending with the log position and hash covered", tag: "decisions", query: ["format"] + DecisionFilterParser.names, roles: "auditor"),
        Operation(method: "get", path: "\(own)/decisions/verify", summary: "The hash chain, the gapless sequence and completeness, checked end to end", tag: "decisions", roles: "auditor"),
        Operation(method: "get", path: "\(own)/decisions/{sequence}", summary: "One decision: input, each policy's outcome, reasons, revision, requester", tag: "decisions", roles: "auditor"),
        Operation(method: "get", path: "\(own)/tasks/{id}/history", summary: "A task's execution history: dispatches, executor errors, results, job logs, cancellations", tag: "tasks", query: ["kind"], roles: "submitter, auditor"),
        Operation(method: "get", path: "/audit", summary: "The auditor's overview page (HTML): the log's verification, recent activities", tag: "audit", roles: "auditor"),
        Operation(method: "get", path: "/audit/decisions", summary: "Decisions page (HTML) with filters", tag: "audit", query: DecisionFilterParser.names, roles: "auditor"),
        Operation(method: "get", path: "/audit/decisions/{sequence}", summary: "One decision (HTML)", tag: "audit", roles: "auditor"),
        Operation(method: "get", path: "/audit/activities/{id}", summary: "One activity with its tasks and stage history (HTML)", tag: "audit", roles: "auditor"),
        Operation(method: "get", path: "/health", summary: "Readiness per component (database, policies): UP, or DOWN naming what is broken", tag: "service", roles: "none"),
        Operation(method: "get", path: "/metrics", summary: "Prometheus metrics", tag: "service", roles: "auditor"),
        Operation(method: "get", path: "/openapi.json", summary: "This document", tag: "service", roles: "none"),
    ]

    static var json: JSONValue {
        var paths = JSONObject()
        for operation in operations {
            var object = paths[operation.path]?.objectValue ?? JSONObject()
            var parameters: [JSONValue] = []
            var rest = Substring(operation.path)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                let name = String(rest[rest.index(after: open)..<close])
                parameters.append(["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"]])
                rest = rest[rest.index(after: close)...]
            }
            for name in operation.query {
                parameters.append(["name": .string(name), "in": "query", "required": false, "schema": ["type": "string"]])
            }
            object[operation.method] = [
                "summary": .string(operation.summary), "tags": [.string(operation.tag)], "parameters": .array(parameters),
                "description": .string("Roles: \(operation.roles)."),
                "responses": [
                    "default": [
                        "description": "JSON; errors use ODM's body {status, code, description, message, path, timestamp}"
                    ]
                ],
            ]
            paths[operation.path] = .object(object)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Tollgate", "version": "1", "description": "The ODM DevOps API and Tollgate's own endpoints."],
            "components": ["securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]]],
            "security": [["bearer": []]],
            "paths": .object(paths),
        ]
    }
}
