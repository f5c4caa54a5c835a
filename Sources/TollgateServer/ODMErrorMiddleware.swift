import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TollgateLifecycle

/// Answers every failed request in ODM's error body, whatever failed: an unknown route (404), a
/// known route asked with another method (405, with `Allow`), a body over the limit (413), an
/// `Accept` the ODM API cannot serve (406), and anything unexpected (500, logged). Errors that are
/// already ``ODMError``s pass through unchanged.
struct ODMErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = Self.acceptRefusal(request) { throw refusal }
        do {
            return try await next(request, context)
        } catch let error as ODMError {
            throw error
        } catch let error as any HTTPResponseError {
            throw Self.translate(error, request: request)
        } catch let error as StoreUnavailable {
            logger.warning("\(request.method) \(request.uri.path): \(error)")
            throw ODMError(LifecycleError.unavailable(error.description))
        } catch {
            logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw ODMError.internalError("\(request.method) \(request.uri.path) failed: \(error)")
        }
    }

    static func translate(_ error: any HTTPResponseError, request: Request) -> ODMError {
        let path = request.uri.path
        let allowed = error.status == .notFound ? allowedMethods(path: path) : []
        switch error.status {
        case .notFound where allowed.isEmpty:
            return .routeNotFound("no endpoint at \(path); /openapi.json lists every endpoint")
        case .notFound where !allowed.contains(request.method.rawValue):
            var answer = ODMError.methodNotAllowed(
                "\(request.method) is not supported on \(path); use \(allowed.joined(separator: " or "))")
            answer.headers[.allow] = allowed.joined(separator: ", ")
            return answer
        case .contentTooLarge:
            return .bodyTooLarge("the request body of \(request.method) \(path) is larger than this endpoint accepts")
        default:
            let status = error.status
            return ODMError(
                status: status, code: "\(status.code)00", summary: status.reasonPhrase,
                message: (error as? HTTPError)?.body ?? status.reasonPhrase)
        }
    }

    /// The methods the API serves on `path`, from the route table (every route is documented).
    static func allowedMethods(path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: [String] = []
        for operation in APIDocument.operations {
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: true)
            guard template.count == parts.count else { continue }
            let matches = zip(template, parts).allSatisfy { t, p in t.hasPrefix("{") || t == p }
            let method = operation.method.uppercased()
            if matches, !methods.contains(method) { methods.append(method) }
        }
        return methods
    }

    /// A 406 when a request to the ODM API accepts none of the JSON types it answers with.
    static func acceptRefusal(_ request: Request) -> ODMError? {
        guard request.uri.path.hasPrefix(APIDocument.devops), let accept = request.headers[.accept] else { return nil }
        let types = accept.split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        if types.isEmpty || types.contains(where: MediaTypes.isJSONAcceptable) { return nil }
        return .notAcceptable(
            "the ODM API answers with application/json; Accept: \(accept) allows none of application/json, "
                + "application/vnd.odmp.v1+json, application/vnd.odmp+json")
    }
}

/// The media types Tollgate's JSON endpoints read and write.
enum MediaTypes {
    /// Whether a request body of `contentType` is JSON: `application/json`, or any `application/…+json`
    /// (ODM's `application/vnd.odmp.v1+json` among them).
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// Whether an `Accept` entry allows a JSON answer.
    static func isJSONAcceptable(_ type: String) -> Bool {
        type == "*/*" || type == "application/*" || isJSON(type)
    }
}
