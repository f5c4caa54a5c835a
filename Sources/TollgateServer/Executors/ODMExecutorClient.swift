public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON
public import TollgateLifecycle

/// An executor speaking ODM's executor protocol, so existing ODM adapters work unchanged:
/// `POST {address}/api/v1/up/executor/tasks` to start, `GET …/tasks/{id}/status` to ask.
public struct ODMExecutorClient: TaskExecutor {
    public let name: String
    public let address: String
    let client: HTTPClient
    let timeout: Duration

    public init(name: String, address: String, client: HTTPClient, timeoutSeconds: Int64 = 10) {
        self.name = name
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.client = client
        self.timeout = .seconds(timeoutSeconds)
    }

    /// ODM executors report results by callback; their status only says how the run is going.
    public var reportsByCallback: Bool { true }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        if request.mayHaveLanded, try await knows(request) {
            return .accepted(reference: nil)  // an earlier try reached it: never send the task twice
        }
        let now = Timestamp.formatMilliseconds(Date())
        let task: JSONValue = [
            "id": .int(request.taskId), "activityId": .string(String(request.activityId)),
            "name": .string(request.taskName ?? request.taskKey),
            "callbackRef": request.callbackRef.map(JSONValue.string) ?? .null,
            "template": request.template.map { .string($0.serialized()) } ?? .null,
            "configurations": .string(request.configurations.serialized()),
            "status": "PROCESSING", "results": nil, "errors": nil, "createdAt": .string(now), "startedAt": .string(now),
            "finishedAt": nil, "startedByActivity": true,
        ]
        let url = "\(address)/api/v1/up/executor/tasks"
        let (status, body) = try await send(.POST, url, body: task.serialized(), headers: request.secretHeaders)
        guard (200..<300).contains(status) else {
            throw ExecutorError(
                retryable: status >= 500 || status == 429,
                message: "executor \(name) answered \(status) to POST \(OutboundHTTP.redacted(url)): \(body.prefix(300))")
        }
        if let echoed = try? JSONValue.parse(body), echoed["status"]?.stringValue == "FAILED" {
            return .finished(TaskReport(status: .failed, errors: echoed["errors"]?.stringValue ?? "the executor refused the task"))
        }
        return .accepted(reference: nil)
    }

    /// Whether the executor already has the task: its status endpoint answers for it (404: it has not).
    func knows(_ request: DispatchRequest) async throws(ExecutorError) -> Bool {
        let url = statusURL(request)
        let (status, _) = try await send(.GET, url, body: nil, headers: request.secretHeaders)
        if status == 404 { return false }
        guard (200..<300).contains(status) else {
            throw ExecutorError(
                retryable: status >= 500 || status == 429,
                message: "executor \(name) answered \(status) to GET \(OutboundHTTP.redacted(url)) (asking whether it has the task before sending it again)")
        }
        return true
    }

    func statusURL(_ request: DispatchRequest) -> String { "\(address)/api/v1/up/executor/tasks/\(request.taskId)/status" }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        let url = statusURL(request)
        let (status, body) = try await send(.GET, url, body: nil, headers: request.secretHeaders)
        guard (200..<300).contains(status) else {
            throw ExecutorError(retryable: status >= 500, message: "executor \(name) answered \(status) to GET \(OutboundHTTP.redacted(url))")
        }
        let text = (try? JSONValue.parse(body))?.stringValue ?? body.trimmingCharacters(in: .whitespacesAndNewlines)
        switch text {
        case "PROCESSED": return TaskReport(status: .processed)
        case "FAILED": return TaskReport(status: .failed, errors: "the executor reports the task FAILED")
        case "ABORTED": return TaskReport(status: .aborted, errors: "the executor reports the task ABORTED")
        default: return nil
        }
    }

    private func send(
        _ method: HTTPMethod, _ url: String, body: String?, headers: [String: String]
    ) async throws(ExecutorError) -> (Int, String) {
        var http = OutboundHTTP(client: client)
        http.timeout = timeout
        do {
            let answer = try await http.send(
                method, url, headers: headers.map { ($0.key, $0.value) }, body: body, what: "executor \(name)")
            return (answer.status, answer.body)
        } catch {
            throw ExecutorError(retryable: error.retryable, message: error.description)
        }
    }
}
