public import TollgateJSON
public import TollgatePolicy

/// Small policy inputs for tests.
public enum PolicyInputs {
    /// A stage-transition input: version 1.0.0 of `hello` moving from dev to test.
    public static let stageTransition: JSONValue = [
        "event": "ACTIVITY_STAGE_TRANSITION",
        "now": "2023-11-23T15:00:00Z",
        "principal": ["name": "ci", "roles": ["submitter"]],
        "dataProduct": [
            "id": "hello-id", "fullyQualifiedName": "urn:org.opendatamesh:dataproducts:hello", "name": "hello",
            "version": "1.0.0",
            "descriptor": ["info": ["owner": ["id": "owner@example.com"]]],
        ],
        "lifecycle": ["stages": ["dev", "test", "prod"], "current": "dev", "target": "test", "history": []],
        "activity": ["id": 2, "stage": "test", "status": "PLANNED", "startedAt": nil],
        "tasks": [
            ["id": 3, "key": "task1", "executor": "azure-devops", "status": "PLANNED"],
            ["id": 4, "key": "task2", "executor": "local", "status": "PLANNED"],
        ],
    ]

    /// The stage-transition input as a document.
    public static var stageTransitionDocument: PolicyDocument { PolicyDocument(stageTransition) }

    /// A copy of `value` with `path` set to `newValue`.
    public static func with(_ value: JSONValue, _ path: [String], _ newValue: JSONValue) -> JSONValue {
        guard let first = path.first, case .object(var object) = value else { return value }
        if path.count == 1 {
            object[first] = newValue
        } else {
            object[first] = with(object[first] ?? .object([:]), Array(path.dropFirst()), newValue)
        }
        return .object(object)
    }
}
