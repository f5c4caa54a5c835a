import Foundation
import Logging
import ServiceLifecycle

/// Asks `tollgate gitlab check`'s questions about each GitLab executor once the server has
/// started, and logs the answers (problems as errors, warnings as warnings). It never stops the
/// server: a setup GitLab would refuse is named at start, not at the first run's failure.
struct GitLabSetupService: Service {
    let targets: [(name: String, target: GitLabSetupCheck.Target)]
    let http: OutboundHTTP
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for (name, target) in targets {
                for finding in await GitLabSetupCheck(target: target, http: http).run() {
                    let line = "gitlab check of executor \(name): \(finding.description.replacingOccurrences(of: "\n   ", with: ";"))"
                    switch finding.level {
                    case .ok: logger.info("\(line)")
                    case .warning: logger.warning("\(line)")
                    case .problem: logger.error("\(line)")
                    }
                }
            }
        }
        // A service that returns ends the server; this one has nothing more to do until it stops.
        try? await gracefulShutdown()
    }
}
