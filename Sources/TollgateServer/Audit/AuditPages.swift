import Foundation
import Hummingbird
import TollgateJSON
import TollgateLifecycle
import TollgateStore

/// The auditor's pages under `/audit`, rendered on the server (no script): activities with their
/// tasks and stage history, decisions with filters, one decision in full, the log's verification.
struct AuditPages: Sendable {
    let store: any AuditStore
    /// Told of each verification the overview makes.
    let metrics: TollgateMetrics
    let watch = LogWatch()

    func register(on router: Router<TollgateRequestContext>) {
        router.get("audit") { _, _ in try await self.overview() }
        router.get("audit/decisions") { request, _ in try await self.decisions(request) }
        router.get("audit/decisions/:sequence") { _, context in try await self.decision(context.parameters.require("sequence", as: Int64.self)) }
        router.get("audit/activities/:id") { _, context in try await self.activity(context.parameters.require("id", as: Int64.self)) }
    }

    func overview() async throws -> Response {
        let report = try await watch.update(store)
        metrics.verified(through: report.position?.sequence, problems: report.problems.count, at: report.at ?? Date())
        let banner: String
        if report.problems.isEmpty {
            let head = report.position.map { "through decision \($0.sequence), hash <code>\(HTML.escape(String($0.hash.prefix(16))))…</code>" } ?? "(empty)"
            let when = report.at.map { " at \(HTML.escape(Timestamp.format($0)))" } ?? ""
            banner = "<div class=\"banner ok\">Decision log intact: verified \(head)\(when) (\(report.decisions) decisions, "
                + "\(report.lastChecked) new on this load); every gated change has its decision. "
                + "<a href=\"/api/v1/tollgate/decisions/verify\">Verify the whole log again</a>.</div>"
        } else {
            banner = "<div class=\"banner bad\"><strong>Decision log NOT intact.</strong><ul>" + report.problems.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul></div>"
        }
        let rows = try await store.recentActivities(limit: 50).map { a -> [String] in
            [
                "<a href=\"/audit/activities/\(a.id)\">\(a.id)</a>", HTML.escape(a.dataProductId), HTML.escape(a.dataProductVersion), HTML.escape(a.stage),
                HTML.status(a.status.rawValue), HTML.escape(a.startedAt.map(Timestamp.format) ?? "-"), HTML.escape(a.finishedAt.map(Timestamp.format) ?? "-"),
                "<a href=\"/audit/decisions?activityId=\(a.id)\">decisions</a>",
            ]
        }
        let now = Date()
        let digests = try await store.decisionDigests(since: now.addingTimeInterval(-Double(Self.chartDays) * 86_400), limit: Self.chartDecisions)
        return HTML.page(
            title: "Overview",
            body: banner + charts(DecisionStatistics(digests, dayCount: Self.chartDays, today: now)) + "<h2>Recent activities</h2>"
                + HTML.table(["Activity", "Data product", "Version", "Stage", "Status", "Started", "Finished", ""], rows))
    }

    /// Days the overview's charts cover, and the most decisions they are drawn from.
    static let chartDays = 30
    static let chartDecisions = 20_000

    /// The overview's three charts: decisions per day by verdict, the policies that object most,
    /// and evaluation time per policy.
    func charts(_ statistics: DecisionStatistics) -> String {
        let perDay = SVGChart.columns(
            label: "Decisions per day by verdict", categories: statistics.days.map(\.day),
            stacks: statistics.days.map {
                [
                    .init(name: "pass", value: Double($0.pass), color: SVGChart.pass), .init(name: "warn", value: Double($0.warn), color: SVGChart.warn),
                    .init(name: "block", value: Double($0.block), color: SVGChart.block),
                ]
            },
            keys: [.init(name: "pass", color: SVGChart.pass), .init(name: "warn", color: SVGChart.warn), .init(name: "block", color: SVGChart.block)])
        let objections = SVGChart.bars(
            label: "Policies that block or warn most",
            rows: statistics.objections.prefix(10).map {
                (
                    $0.policy,
                    [.init(name: "blocked", value: Double($0.blocks), color: SVGChart.block), .init(name: "warned", value: Double($0.warns), color: SVGChart.warn)]
                )
            },
            keys: [.init(name: "blocked", color: SVGChart.block), .init(name: "warned", color: SVGChart.warn)],
            format: { segments in segments.map { "\(Int($0.value)) \($0.name)" }.joined(separator: ", ") })
        let timings = SVGChart.bars(
            label: "Evaluation time per policy (p50 and p95)",
            rows: statistics.timings.prefix(12).map {
                (
                    $0.policy,
                    [.init(name: "p50", value: Double($0.p50Nanoseconds), color: SVGChart.p50), .init(name: "p95", value: Double($0.p95Nanoseconds), color: SVGChart.p95)]
                )
            },
            keys: [.init(name: "p50", color: SVGChart.p50), .init(name: "p95", color: SVGChart.p95)], overlaid: true,
            format: { segments in segments.map { "\($0.name) \(Self.duration(nanoseconds: $0.value))" }.joined(separator: ", ") })
        return "<h2>Decisions of the last \(Self.chartDays) days</h2>"
            + "<p class=\"note\">Drawn from the newest \(statistics.decisions) decisions (at most \(Self.chartDecisions)). "
            + "Hover a bar for its figure.</p>"
            + "<figure>\(perDay)<figcaption>Decisions per day (UTC) by verdict</figcaption></figure>"
            + "<figure>\(objections)<figcaption>Policies that block or warn most: denies that stopped a change, and denies recorded as warnings</figcaption></figure>"
            + "<figure>\(timings)<figcaption>Evaluation time per policy: median (dark) and 95th percentile (light)</figcaption></figure>"
    }

    /// `850 µs`, `12.5 ms`.
    static func duration(nanoseconds: Double) -> String {
        nanoseconds < 1_000_000 ? "\(Int((nanoseconds / 1_000).rounded())) µs" : String(format: "%.1f ms", nanoseconds / 1_000_000)
    }

    func decisions(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let value = { (name: String) -> String? in query.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 } }
        var filter: DecisionFilter
        do {
            filter = try DecisionFilterParser.parse(value)
        } catch {
            return HTML.page(title: "Decisions", body: "<div class=\"banner bad\">\(HTML.escape("\(error)"))</div>" + form(value))
        }
        filter.limit = filter.limit ?? 50
        let records = try await store.decisions(matching: filter)
        let rows = records.map { d -> [String] in
            let notable = d.outcomes.filter { $0.outcome != "allow" && $0.outcome != "skipped" }
                .map { "\(HTML.escape($0.policy)): \(HTML.status($0.outcome))" }.joined(separator: "<br>")
            return [
                "<a href=\"/audit/decisions/\(d.sequence)\">\(d.sequence)</a>", HTML.escape(Timestamp.formatMilliseconds(d.createdAt)),
                HTML.escape(d.phase.rawValue), HTML.status(d.verdict.rawValue),
                "\(HTML.escape(d.dataProductId)) \(HTML.escape(d.dataProductVersion)) · \(HTML.escape(d.stage))", HTML.escape(d.gatedChange),
                HTML.escape(d.principal ?? "-"), notable.isEmpty ? "<span class=\"muted\">all allowed</span>" : notable,
            ]
        }
        var more = ""
        if let last = records.last, records.count == filter.limit {
            let kept = DecisionFilterParser.names.filter { $0 != "cursor" }.compactMap { name in value(name).map { "\(name)=\(HTML.query($0))" } }
            more = "<p><a href=\"/audit/decisions?\((kept + ["cursor=\(last.sequence)"]).joined(separator: "&amp;"))\">Next page</a></p>"
        }
        return HTML.page(
            title: "Decisions",
            body: form(value) + "<p class=\"muted\">\(records.count) shown</p>"
                + HTML.table(["#", "When", "Phase", "Verdict", "About", "Change", "Requested by", "Policies not allowing"], rows) + more)
    }

    func form(_ value: (String) -> String?) -> String {
        func field(_ name: String, _ label: String) -> String {
            "<label>\(label)<input name=\"\(name)\" value=\"\(HTML.escape(value(name) ?? ""))\"></label>"
        }
        func select(_ name: String, _ label: String, _ options: [String]) -> String {
            let chosen = value(name)
            let items = ([""] + options).map { "<option value=\"\($0)\"\($0 == chosen ? " selected" : "")>\($0.isEmpty ? "any" : $0)</option>" }.joined()
            return "<label>\(label)<select name=\"\(name)\">\(items)</select></label>"
        }
        return "<form method=\"get\" action=\"/audit/decisions\">" + field("dataProductId", "Data product") + field("dataProductVersion", "Version")
            + field("stage", "Stage") + select("phase", "Phase", GatePhase.allCases.map(\.rawValue))
            + select("outcome", "Outcome", ["pass", "warn", "block", "allow", "deny", "error"]) + field("policy", "Policy")
            + field("principal", "Requested by") + field("from", "From (ISO 8601)") + field("to", "To") + field("activityId", "Activity")
            + "<button type=\"submit\">Filter</button></form>"
    }

    func decision(_ sequence: Int64) async throws -> Response {
        guard let d = try await store.decision(sequence: sequence) else {
            return HTML.page(title: "Decision \(sequence)", body: "<div class=\"banner bad\">The log has no decision \(sequence).</div>")
        }
        let rows = d.outcomes.map { o -> [String] in
            [
                HTML.escape(o.policy), o.blocking ? "blocking" : "non-blocking", HTML.status(o.outcome), HTML.escape(o.effect),
                o.reasons.map(HTML.escape).joined(separator: "<br>"), "<code>\(HTML.escape(String(o.revision.prefix(12))))</code>",
                String(format: "%.1f µs", Double(o.durationNanoseconds) / 1000),
            ]
        }
        return HTML.page(
            title: "Decision \(d.sequence): \(d.verdict.rawValue)",
            body: "<p><a href=\"/audit/activities/\(d.activityId)\">Activity \(d.activityId)</a> · \(HTML.escape(d.gatedChange)) · requested by "
                + "\(HTML.escape(d.principal ?? "-")) · policy set <code>\(HTML.escape(String(d.policySetRevision.prefix(12))))</code></p>"
                + "<h2>Policies</h2>" + HTML.table(["Policy", "Kind", "Outcome", "Effect", "Reasons", "Revision", "Time"], rows)
                + "<h2>Account</h2><pre>\(HTML.escape(DecisionRendering.explain(d)))</pre>")
    }

    func activity(_ id: Int64) async throws -> Response {
        guard let a = try await store.activity(id: id) else {
            return HTML.page(title: "Activity \(id)", body: "<div class=\"banner bad\">No activity \(id).</div>")
        }
        let tasks = try await store.tasks(activityId: id).map { t -> [String] in
            [
                String(t.id), HTML.escape(t.key), HTML.escape(t.executor ?? "-"), HTML.status(t.status.rawValue),
                HTML.escape(t.results.map { String($0.serialized().prefix(160)) } ?? "-"), HTML.escape(t.errors ?? ""),
            ]
        }
        let stages = try await store.stageRecords(dataProductId: a.dataProductId, version: a.dataProductVersion).map { s -> [String] in
            [HTML.escape(s.stage), String(s.activityId), HTML.escape(Timestamp.format(s.startedAt)), HTML.escape(s.finishedAt.map(Timestamp.format) ?? "current")]
        }
        return HTML.page(
            title: "Activity \(a.id): \(a.dataProductId) \(a.dataProductVersion) → \(a.stage)",
            body: "<p>Status \(HTML.status(a.status.rawValue)) · <a href=\"/audit/decisions?activityId=\(a.id)\">its decisions</a></p>"
                + "<h2>Tasks</h2>" + HTML.table(["Task", "Key", "Executor", "Status", "Results", "Errors"], tasks)
                + "<h2>Stage history of this version</h2>" + HTML.table(["Stage", "Activity", "Started", "Finished"], stages))
    }
}
