import Foundation

/// The scale-out comparison as a table, its targets, and a model of three machines.
struct ScaleOutReport {
    let runs: [RunFigures]
    let appends: ChainAppendFigures
    let activities: Int
    let concurrency: Int

    func print() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        Swift.print("\(activities) activities per run (1 task each, 3 gates, shipped policies), \(concurrency) concurrent clients, \(cores) cores shared by all")
        Swift.print("store        replicas  done        act/s  POST p50   p99 ms   CPU ms/activity: tollgate  postgres  client   decisions/s")
        for run in runs {
            let parts = run.label.split(separator: " ").map(String.init)
            let store = parts[0].padding(toLength: 12, withPad: " ", startingAt: 0)
            let postgres = run.postgresCPU.map { String(format: "%8.2f", run.perActivity($0)) } ?? "       -"
            Swift.print(
                store
                    + String(
                        format: " %8@  %5d/%-5d %6.0f  %7.2f  %7.2f                   %8.2f  %@  %7.2f  %10.0f", parts[1], run.processed,
                        run.submitted, run.activitiesPerSecond, run.median, run.p99, run.perActivity(run.tollgateCPU), postgres,
                        run.perActivity(run.ownCPU), Double(run.decisions) / run.seconds))
        }
        func rates(_ list: [(writers: Int, rate: Double)]) -> String {
            list.map { String(format: "%d writer%@ %.0f/s", $0.writers, $0.writers == 1 ? "" : "s", $0.rate) }.joined(separator: ", ")
        }
        Swift.print("chain appends          one decision per transaction, for 3 s each")
        Swift.print("  SQLite               \(rates(appends.sqlite))")
        Swift.print("  PostgreSQL           \(rates(appends.postgres))")

        guard runs.count == 4 else { return }
        let sqlite = runs[0], one = runs[1], three = runs[3]
        let firstRatio = one.activitiesPerSecond / sqlite.activitiesPerSecond
        let scaleRatio = three.activitiesPerSecond / one.activitiesPerSecond
        Swift.print(
            String(
                format: "targets                PostgreSQL 1 replica / SQLite = %.2f (>= 0.50: %@); 3 replicas / 1 replica = %.2f (>= 1.00: %@)",
                firstRatio, firstRatio >= 0.5 ? "met" : "MISSED", scaleRatio, scaleRatio >= 1 ? "met" : "MISSED"))
        model(three: three, cores: cores)
    }

    /// What three machines of this machine's size would carry, from the 3-replica run's costs.
    private func model(three: RunFigures, cores: Int) {
        let tollgate = three.perActivity(three.tollgateCPU)
        guard let postgresCPU = three.postgresCPU, three.processed > 0 else {
            Swift.print("model                  (PostgreSQL's CPU was not measured)")
            return
        }
        let postgres = three.perActivity(postgresCPU)
        let decisionsPerActivity = Double(three.decisions) / Double(three.processed)
        let headRate = appends.postgres.map(\.rate).max() ?? 0
        let budget = Double(cores) * 1000  // CPU milliseconds per second on one machine
        let byChain = headRate / max(decisionsPerActivity, 1)
        Swift.print(
            String(
                format: "model                  costs at 3 replicas: Tollgate %.2f ms CPU, PostgreSQL %.2f ms CPU, %.1f decisions per activity; machines of %d cores",
                tollgate, postgres, decisionsPerActivity, cores))
        // (a) three machines of replicas, PostgreSQL on a fourth of the same size.
        let replicasCarry = 3 * budget / tollgate
        let postgresCarries = budget / postgres
        let separate = [("the replicas' CPU", replicasCarry), ("PostgreSQL's CPU", postgresCarries), ("the chain head", byChain)]
        let a = separate.min { $0.1 < $1.1 }!
        Swift.print(
            String(
                format: "  3 replica machines, PostgreSQL on its own: replicas %.0f/s, PostgreSQL %.0f/s, chain head %.0f/s -> %.0f activities/s, bound by %@",
                replicasCarry, postgresCarries, byChain, a.1, a.0 as NSString))
        // (b) three machines in all, PostgreSQL beside the replica on the first; load spread evenly.
        let firstMachine = budget / (tollgate / 3 + postgres)
        let allCores = 3 * budget / (tollgate + postgres)
        let shared = [("the machine shared with PostgreSQL", firstMachine), ("all cores", allCores), ("the chain head", byChain)]
        let b = shared.min { $0.1 < $1.1 }!
        Swift.print(
            String(
                format: "  3 machines in all, PostgreSQL beside replica 1: %.0f activities/s, bound by %@ (all cores %.0f/s, chain head %.0f/s)",
                b.1, b.0 as NSString, allCores, byChain))
    }
}
