import Foundation
import NIOHTTP1
import TollgateJSON

/// The issuer's keys, read from a file once or fetched from its JWKS endpoint and refreshed.
actor KeySetCache {
    enum Source {
        /// A JWKS document read from a file at start.
        case file(path: String, json: JSONValue)
        case remote(url: String, http: OutboundHTTP)
    }

    let source: Source
    /// The shortest time between two fetches prompted by unknown key ids.
    let minimumRefresh: Duration
    /// The age after which the keys are fetched again on next use.
    let maximumAge: Duration
    private var current: JSONWebKeySet?
    private var fetchedAt: ContinuousClock.Instant?
    private var fetching: Task<Result<JSONWebKeySet, KeySetError>, Never>?

    init(source: Source, minimumRefresh: Duration = .seconds(5), maximumAge: Duration = .seconds(3600)) {
        self.source = source
        self.minimumRefresh = minimumRefresh
        self.maximumAge = maximumAge
    }

    /// The keys to check a token with; `missing` says the last copy lacked the token's key.
    func keys(missing: Bool = false) async throws(KeySetError) -> JSONWebKeySet {
        guard case .remote(let url, let http) = source else {
            if let current { return current }
            guard case .file(let path, let json) = source else { throw KeySetError("no keys") }
            do {
                let keys = try await JSONWebKeySet.read(json)
                current = keys
                return keys
            } catch {
                throw KeySetError("\(path): \(error)")
            }
        }
        let now = ContinuousClock.now
        if let current, let fetchedAt {
            let age = fetchedAt.duration(to: now)
            if age < maximumAge && (!missing || age < minimumRefresh) { return current }
        }
        let task: Task<Result<JSONWebKeySet, KeySetError>, Never>
        if let fetching {
            task = fetching
        } else {
            task = Task { await Self.fetch(url: url, http: http) }
            fetching = task
        }
        let result = await task.value
        fetching = nil
        switch result {
        case .success(let keys):
            current = keys
            fetchedAt = ContinuousClock.now
            return keys
        case .failure(let error):
            // A stale copy is better than refusing every caller while the issuer is down.
            if let current { return current }
            throw error
        }
    }

    static func fetch(url: String, http: OutboundHTTP) async -> Result<JSONWebKeySet, KeySetError> {
        do {
            let answer = try await http.send(.GET, url, what: "the OIDC issuer's key endpoint")
            guard answer.status == 200 else {
                return .failure(KeySetError("the OIDC key endpoint \(url) answered \(answer.status)"))
            }
            guard let json = try? JSONValue.parse(answer.body) else {
                return .failure(KeySetError("the OIDC key endpoint \(url) did not answer JSON"))
            }
            return .success(try await JSONWebKeySet.read(json))
        } catch let error as KeySetError {
            return .failure(KeySetError("the OIDC key endpoint \(url): \(error)"))
        } catch {
            return .failure(KeySetError("\(error)"))
        }
    }
}
