import TollgateJSON
import TollgateLifecycle

/// Which run a task started: `"<pipelineId>/<runId>"`, the reference the executor hands the engine.
/// A run's id is also the id of the build behind it.
struct AzureDevOpsRunReference: Sendable, Equatable {
    var pipelineId: Int64
    var runId: Int64

    init(pipelineId: Int64, runId: Int64) {
        self.pipelineId = pipelineId
        self.runId = runId
    }

    /// Parses a reference; nil when there is none or it is not one of this executor's.
    init?(_ text: String?) {
        guard let parts = text?.split(separator: "/", omittingEmptySubsequences: false), parts.count == 2,
            let pipelineId = Int64(parts[0]), let runId = Int64(parts[1])
        else { return nil }
        self.init(pipelineId: pipelineId, runId: runId)
    }

    var text: String { "\(pipelineId)/\(runId)" }
}

/// A pipeline run as the Runs API describes it, and what it means for the task.
struct AzureDevOpsRun: Sendable {
    var reference: AzureDevOpsRunReference
    /// `unknown`, `inProgress`, `canceling` or `completed`.
    var state: String
    /// Once completed: `succeeded`, `failed`, `canceled` or `unknown`.
    var result: String?
    /// The run's page in Azure DevOps.
    var webURL: String?

    /// Reads a run; nil when the answer carries no run id.
    init?(_ json: JSONValue, pipelineId: Int64) {
        guard let id = json["id"]?.intValue else { return nil }
        reference = AzureDevOpsRunReference(pipelineId: json["pipeline"]?["id"]?.intValue ?? pipelineId, runId: id)
        state = json["state"]?.stringValue ?? "unknown"
        result = json["result"]?.stringValue
        webURL = json["_links"]?["web"]?["href"]?.stringValue
    }

    var isCompleted: Bool { state == "completed" }

    /// What the task's results say about the run.
    var results: JSONValue {
        [
            "runId": .int(reference.runId), "pipelineId": .int(reference.pipelineId), "webUrl": webURL.map(JSONValue.string) ?? .null,
            "state": .string(state), "result": result.map(JSONValue.string) ?? .null,
        ]
    }

    /// `Azure Pipelines run 123 (pipeline 12)`.
    var name: String { "Azure Pipelines run \(reference.runId) (pipeline \(reference.pipelineId))" }

    /// How the task ended, once the run has completed; nil while it runs.
    var report: TaskReport? {
        guard isCompleted else { return nil }
        let link = webURL.map { ": \($0)" } ?? ""
        switch result {
        case "succeeded":
            return TaskReport(status: .processed, results: results)
        case "canceled":
            return TaskReport(status: .aborted, results: results, errors: "\(name) was canceled\(link)")
        case "failed":
            return TaskReport(status: .failed, results: results, errors: "\(name) failed\(link)")
        case let other:
            return TaskReport(status: .failed, results: results, errors: "\(name) completed with result \(other ?? "unknown")\(link)")
        }
    }
}
