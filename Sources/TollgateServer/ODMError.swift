import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore
import TollgateJSON
public import TollgateLifecycle

/// An error answered in ODM's error body:
/// `{"status", "code", "description", "message", "path", "timestamp"}`.
public struct ODMError: Error, HTTPResponseError {
    public var status: HTTPResponse.Status
    /// ODM's five-digit code (Tollgate's own for policy blocks).
    public var code: String
    /// The code's fixed description.
    public var summary: String
    /// What happened, specifically, and what to do.
    public var message: String

    public init(status: HTTPResponse.Status, code: String, summary: String, message: String) {
        self.status = status
        self.code = code
        self.summary = summary
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = [
            "status": .int(Int64(status.code)), "code": .string(code), "description": .string(summary),
            "message": .string(message), "path": .string(request.uri.path),
            "timestamp": .int(Int64(Date().timeIntervalSince1970 * 1000)),
        ]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized())))
    }

    // MARK: The codes

    static func unreadableBody(_ message: String) -> ODMError {
        ODMError(status: .badRequest, code: "40000", summary: "Request body unreadable", message: message)
    }

    static func invalidActivityAction(_ message: String) -> ODMError {
        ODMError(status: .badRequest, code: "40055", summary: "Invalid activity action", message: message)
    }

    static func invalidTaskAction(_ message: String) -> ODMError {
        ODMError(status: .badRequest, code: "40065", summary: "Invalid task action", message: message)
    }

    static let missingCallbackToken = ODMError(
        status: .unauthorized, code: "40101", summary: "Callback token missing",
        message: "callbacks must use the callbackRef Tollgate gave the executor, token included")

    static let wrongCallbackToken = ODMError(
        status: .forbidden, code: "40301", summary: "Callback token invalid",
        message: "the callback token is not valid for this task")

    /// Maps an engine error to its ODM answer.
    public init(_ error: LifecycleError) {
        switch error {
        case .activityNotFound:
            self.init(status: .notFound, code: "40401", summary: "Activity not found", message: error.description)
        case .taskNotFound:
            self.init(status: .notFound, code: "40411", summary: "Task not found", message: error.description)
        case .activityInvalid:
            self.init(status: .unprocessableContent, code: "42201", summary: "Activity invalid", message: error.description)
        case .activityAlreadyExists:
            self.init(status: .unprocessableContent, code: "42202", summary: "Activity already exists", message: error.description)
        case .versionBusy:
            self.init(status: .conflict, code: "40901", summary: "Activity already running on this product version", message: error.description)
        case .invalidActivityAction(let message):
            let running = message.contains("already PROCESSING")
            self.init(
                status: running ? .conflict : .unprocessableContent, code: "40055", summary: "Invalid activity action",
                message: message)
        case .invalidTaskAction(let message):
            self.init(status: .unprocessableContent, code: "40065", summary: "Invalid task action", message: message)
        case .taskAlreadyFinished:
            self.init(status: .conflict, code: "40911", summary: "Task already finished", message: error.description)
        case .blocked:
            self.init(status: .conflict, code: "40910", summary: "Blocked by policy", message: error.description)
        case .registry:
            self.init(status: .serviceUnavailable, code: "50050", summary: "Registry unreachable", message: error.description)
        case .storage:
            self.init(status: .internalServerError, code: "50000", summary: "Storage failure", message: error.description)
        }
    }
}
