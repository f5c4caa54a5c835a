import Foundation
import TollgateJSON
import TollgateLifecycle

/// The run a task asks for: which pipeline, on which branch, with which parameters, skipping
/// which stages. The task's template definition may name `pipelineId`, `branch` and
/// `stagesToSkip`; the executor's settings give the defaults.
struct AzureDevOpsRunRequest: Sendable, Equatable {
    var pipelineId: Int64
    /// `refs/heads/<branch>`, or the ref as given when it already starts with `refs/`.
    var refName: String
    var templateParameters: JSONObject
    var stagesToSkip: [String]
    /// Run variables (`TRACEPARENT`, when the executor is set to hand it on).
    var variables: [String: String] = [:]

    init(_ request: DispatchRequest, settings: AzureDevOpsExecutorSettings, executor: String) throws(ExecutorError) {
        let definition = request.template
        let task = "task \(request.taskId)"
        switch definition?["pipelineId"] {
        case nil, .null?:
            guard let id = settings.pipelineId, id > 0 else {
                throw ExecutorError(
                    retryable: false,
                    message: "no Azure Pipelines pipeline for \(task): set pipelineId in the task's template definition"
                        + " or executors.\(executor).pipelineId")
            }
            pipelineId = Int64(id)
        case let value?:
            guard let id = value.intValue ?? value.stringValue.flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }), id > 0 else {
                throw ExecutorError(
                    retryable: false, message: "pipelineId in the template definition of \(task) must be a pipeline's number, not \(value)")
            }
            pipelineId = id
        }

        let branch: String
        switch definition?["branch"] {
        case nil, .null?: branch = settings.branch
        case .string(let name)? where !name.isEmpty: branch = name
        case let value?:
            throw ExecutorError(retryable: false, message: "branch in the template definition of \(task) must be a branch name, not \(value)")
        }
        refName = branch.hasPrefix("refs/") ? branch : "refs/heads/" + branch

        // ODM descriptors put stagesToSkip in the task's configurations; the definition may too.
        let (skipSource, skip) =
            definition?["stagesToSkip"].map { ("the template definition", $0) } ?? ("the configurations", request.configurations["stagesToSkip"])
        switch skip {
        case nil, .null?: stagesToSkip = []
        case let value?:
            guard let names = value.arrayValue?.compactMap(\.stringValue), names.count == value.arrayValue?.count else {
                throw ExecutorError(
                    retryable: false, message: "stagesToSkip in \(skipSource) of \(task) must be a list of stage names, not \(value)")
            }
            stagesToSkip = names
        }

        var parameters = JSONObject()
        switch request.configurations["params"] {
        case nil, .null?: break
        case .object(let params)?:
            for (key, value) in params { parameters[key] = .string(value.stringValue ?? value.serialized()) }
        case let value?:
            throw ExecutorError(
                retryable: false, message: "params of \(task) must be an object of pipeline parameters, not a \(value.typeName)")
        }
        if let callback = request.callbackRef { parameters["callbackRef"] = .string(callback) }
        templateParameters = parameters
        if settings.traceparentVariable, let parent = request.traceContext["traceparent"] { variables["TRACEPARENT"] = parent }
    }

    /// The body of `POST …/pipelines/{pipelineId}/runs`.
    var body: JSONValue {
        var body: JSONObject = [
            "resources": ["repositories": ["self": ["refName": .string(refName)]]],
            "templateParameters": .object(templateParameters),
        ]
        if !stagesToSkip.isEmpty { body["stagesToSkip"] = .array(stagesToSkip.map(JSONValue.string)) }
        if !variables.isEmpty {
            body["variables"] = .object(JSONObject(variables.sorted { $0.key < $1.key }.map { ($0.key, ["value": .string($0.value), "isSecret": false]) }))
        }
        return .object(body)
    }
}
