import Logging
import NIOPosix
import ServiceLifecycle
import TollgatePolicy
import TollgatePostgres

/// One policy set across replicas: a reload on any replica publishes its revision in the shared
/// database, and every replica polls it and reloads its own policy files when it changed. A
/// replica whose files give another revision says so in its log (its decisions record the revision
/// they used, so a rollout stays visible in the decision log).
struct PolicySetWatch: Service {
    let store: PostgresLifecycleStore
    let policies: PolicyEngine
    /// Where the policy files are loaded (their top level runs under the evaluation limits).
    let threads: NIOThreadPool
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // What this replica judges with; a set published before this watch began (by another
        // replica, or by this one's reload) is followed like any later one.
        var known = policies.policySet.revision
        do {
            if try await store.publishedPolicySet() == nil { try await store.publishPolicySet(revision: known) }
        } catch {
            logger.warning("publishing this replica's policy set \(known.prefix(12)) failed: \(error); other replicas follow the next one published")
        }
        var failing = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let published = try await store.publishedPolicySet(), published != known {
                    known = published
                    if published != policies.policySet.revision { await follow(published) }
                }
                if failing { logger.info("the published policy set can be read again") }
                failing = false
            } catch {
                // Said once per outage, not at every poll.
                if !failing { logger.warning("reading the published policy set failed: \(error); polled again every \(interval)") }
                failing = true
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Reloads this replica's policy files after another replica published `published`.
    private func follow(_ published: String) async {
        do {
            let set = try await threads.runIfActive { [policies] in try policies.reload() }
            if set.revision == published {
                logger.info("policy set \(published.prefix(12)) published by another replica: reloaded")
            } else {
                let message = "policy set \(published.prefix(12)) was published, but this replica's policy files give "
                    + "\(set.revision.prefix(12)); deploy the same files to every replica"
                logger.warning("\(message)")
            }
        } catch {
            logger.error("policy set \(published.prefix(12)) was published, but this replica's policy files do not load: \(error)")
        }
    }
}
