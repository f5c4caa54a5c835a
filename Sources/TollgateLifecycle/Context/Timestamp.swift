public import Foundation

/// ISO-8601 UTC timestamps as Tollgate writes them: `2023-11-23T14:32:00Z` in contexts and
/// `2023-11-23T14:32:00.123Z` in the store and the decision log.
///
/// Both forms are written and read with calendar arithmetic on the proleptic Gregorian calendar
/// (every state change writes several), so they cost a few hundred instructions rather than a
/// formatter's tens of thousands. Other ISO-8601 spellings (offsets, other fractions) are read
/// through Foundation.
public enum Timestamp {
    /// Formats `date` in UTC, to the second (the fraction is dropped, not rounded).
    public static func format(_ date: Date) -> String {
        write(seconds: Int64(date.timeIntervalSince1970.rounded(.down)), milliseconds: nil)
    }

    /// ISO-8601 UTC with milliseconds (`2023-11-23T14:32:00.123Z`), as the decision log keeps times.
    ///
    /// The milliseconds are counted, not taken from a binary fraction, so formatting a parsed
    /// timestamp gives back the same text.
    public static func formatMilliseconds(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.toNearestOrEven))
        let seconds = floorDivide(milliseconds, 1000)
        return write(seconds: seconds, milliseconds: Int(milliseconds - seconds * 1000))
    }

    /// Parses an ISO-8601 timestamp with a time zone (fractions of a second allowed). A time that
    /// does not exist (`2023-02-29`, `24:00:00`) is refused rather than rolled over.
    public static func parse(_ text: String) -> Date? {
        var text = text
        text.makeContiguousUTF8()
        // One of the forms Tollgate writes: its date, or nil when that time does not exist.
        if case .some(.some(let written)) = text.utf8.withContiguousStorageIfAvailable(parseWrittenForm) { return written }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    // MARK: The two forms Tollgate writes

    /// nil when `bytes` is not `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.fffZ`; `.some(nil)` when
    /// it is, but names a time that does not exist.
    private static func parseWrittenForm(_ bytes: UnsafeBufferPointer<UInt8>) -> Date?? {
        guard bytes.count == 20 || (bytes.count == 24 && bytes[19] == 0x2E), bytes[4] == 0x2D, bytes[7] == 0x2D,
            bytes[10] == 0x54 || bytes[10] == 0x74, bytes[13] == 0x3A, bytes[16] == 0x3A,
            bytes[bytes.count - 1] == 0x5A || bytes[bytes.count - 1] == 0x7A,
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2)
        else { return nil }
        let milliseconds = bytes.count == 24 ? number(bytes, 20, 3) : 0
        guard let milliseconds, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24,
            minute < 60, second < 60
        else { return .some(nil) }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
        return Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
    }

    // MARK: Calendar arithmetic

    /// `YYYY-MM-DDTHH:MM:SSZ` or, with milliseconds, `YYYY-MM-DDTHH:MM:SS.fffZ`, for whole seconds since 1970 (UTC).
    private static func write(seconds: Int64, milliseconds: Int?) -> String {
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        guard (0...9999).contains(year) else {
            // Outside four digits, Foundation's spelling (never written by Tollgate itself).
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds ?? 0) / 1000)
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: milliseconds != nil, timeZone: .gmt))
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, width: Int, at offset: Int) {
                var value = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[position] = UInt8(0x30 + value % 10)
                    value /= 10
                }
            }
            put(year, width: 4, at: 0)
            buffer[4] = 0x2D
            put(month, width: 2, at: 5)
            buffer[7] = 0x2D
            put(day, width: 2, at: 8)
            buffer[10] = 0x54
            put(secondOfDay / 3_600, width: 2, at: 11)
            buffer[13] = 0x3A
            put(secondOfDay / 60 % 60, width: 2, at: 14)
            buffer[16] = 0x3A
            put(secondOfDay % 60, width: 2, at: 17)
            guard let milliseconds else {
                buffer[19] = 0x5A
                return 20
            }
            buffer[19] = 0x2E
            put(milliseconds, width: 3, at: 20)
            buffer[23] = 0x5A
            return 24
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (eras of 400 years).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (the inverse of ``daysSinceEpoch(year:month:day:)``).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<start + count {
            let digit = Int(bytes[index]) - 0x30
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
