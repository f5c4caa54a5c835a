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
    let timeout: TimeAmount

    public init(name: String, address: String, client: HTTPClient, timeoutSeconds: Int64 = 10) {
        self.name = name
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.client = client
        self.timeout = .seconds(timeoutSeconds)
    }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        let now = Timestamp.formatMilliseconds(Date())
        let task: JSONValue = [
            "id": .int(request.taskId), "activityId": .string(String(request.activityId)),
            "name": .string(request.taskName ?? request.taskKey),
            "callbackRef": request.callbackRef.map(JSONValue.string) ?? .null,
            "template": request.template.map { .string($0.serialized()) } ?? .null,
            "configurations": .string(request.configurations.serialized()),
            "status": "PROCESSING", "results": nil, "errors": nil, "createdAt": .string(now), "startedAt": .string(now),
            "finishedAt": nil,
        ]
        let url = "\(address)/api/v1/up/executor/tasks"
        let (status, body) = try await send(.POST, url, body: task.serialized(), headers: request.secretHeaders)
        guard (200..<300).contains(status) else {
            throw ExecutorError(
                retryable: status >= 500 || status == 429,
                message: "executor \(name) answered \(status) to POST \(url): \(body.prefix(300))")
        }
        if let echoed = try? JSONValue.parse(body), echoed["status"]?.stringValue == "FAILED" {
            return .finished(TaskReport(status: .failed, errors: echoed["errors"]?.stringValue ?? "the executor refused the task"))
        }
        return .accepted(reference: nil)
    }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        let url = "\(address)/api/v1/up/executor/tasks/\(request.taskId)/status"
        let (status, body) = try await send(.GET, url, body: nil, headers: request.secretHeaders)
        guard (200..<300).contains(status) else {
            throw ExecutorError(retryable: status >= 500, message: "executor \(name) answered \(status) to GET \(url)")
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
        do {
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            // A refused connection is retried by the client until the deadline: keep it short.
            let response = try await client.execute(request, deadline: .now() + timeout)
            let bytes = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), String(buffer: bytes))
        } catch let error as ExecutorError {
            throw error
        } catch {
            throw ExecutorError(retryable: true, message: "executor \(name) at \(address) is unreachable: \(error)")
        }
    }
}
