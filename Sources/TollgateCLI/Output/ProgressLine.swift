import Foundation
import Synchronization
import TollgateLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line on standard error that shows how far long work has got (done, of how many, the rate
/// and the time left), redrawn five times a second while standard error is a terminal; nothing at
/// all when it is not (a pipe, a file, CI). Erased when the work ends.
final class ProgressLine: Sendable {
    let progress = WorkProgress()
    private let what: String
    private let unit: String
    private let drawing: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Shows the progress of `what` in `unit`s (`decisions`, `rows`) when standard error is a terminal.
    init(_ what: String, unit: String, onTerminal: Bool = isatty(2) != 0) {
        self.what = what
        self.unit = unit
        guard onTerminal else { return }
        let started = ContinuousClock.now
        let draw = { @Sendable [progress] in
            let line = Self.describe(what: what, unit: unit, done: progress.done, total: progress.total, elapsed: ContinuousClock.now - started)
            printError("\r\u{1B}[2K" + line, newline: false)
        }
        // Drawn at once, so even short work says what it is doing.
        draw()
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                guard !Task.isCancelled else { break }
                draw()
            }
        }
        drawing.withLock { $0 = task }
    }

    /// Stops drawing and erases the line (once; later calls do nothing).
    func finish() {
        guard let task = drawing.withLock({ current in defer { current = nil }; return current }) else { return }
        task.cancel()
        printError("\r\u{1B}[2K", newline: false)
    }

    /// `verify: 45,000 of 100,000 decisions · 12,300/s · 4 s left`.
    static func describe(what: String, unit: String, done: Int64, total: Int64?, elapsed: Duration) -> String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        let rate = Double(done) / seconds
        var line = "\(what): \(grouped(done))"
        if let total { line += " of \(grouped(total))" }
        line += " \(unit) · \(grouped(Int64(rate)))/s"
        if let total, rate > 0, total > done { line += " · \(Int((Double(total - done) / rate).rounded(.up))) s left" }
        return line
    }

    static func grouped(_ number: Int64) -> String {
        let digits = String(number)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
