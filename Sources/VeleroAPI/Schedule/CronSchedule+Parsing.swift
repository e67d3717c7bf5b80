import Kubernetes

extension CronSchedule {
    struct Bounds: Sendable {
        var min: UInt64
        var max: UInt64
        var names: [String: UInt64] = [:]
    }

    static let minutes = Bounds(min: 0, max: 59)
    static let hours = Bounds(min: 0, max: 23)
    static let daysOfMonth = Bounds(min: 1, max: 31)
    static let months = Bounds(
        min: 1,
        max: 12,
        names: [
            "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
            "nov": 11, "dec": 12,
        ]
    )
    static let daysOfWeek = Bounds(
        min: 0,
        max: 6,
        names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
    )

    /// `getField`: comma-separated ranges.
    static func field(_ text: String, _ bounds: Bounds) throws(ParseError) -> UInt64 {
        var bits: UInt64 = 0
        for expression in text.split(separator: ",") {
            bits |= try range(String(expression), bounds)
        }
        return bits
    }

    /// `getRange`: `*`, `?`, `N`, `N-M`, each with an optional `/step`.
    static func range(_ expression: String, _ bounds: Bounds) throws(ParseError) -> UInt64 {
        let rangeAndStep = expression.split(separator: "/", omittingEmptySubsequences: false)
        let lowAndHigh = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false)
        let single = lowAndHigh.count == 1
        var start: UInt64
        var end: UInt64
        var extra: UInt64 = 0
        if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
            start = bounds.min
            end = bounds.max
            extra = starBit
        } else {
            start = try number(String(lowAndHigh[0]), names: bounds.names)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try number(String(lowAndHigh[1]), names: bounds.names)
            default: throw ParseError(message: "too many hyphens: \(expression)")
            }
        }
        var step: UInt64 = 1
        switch rangeAndStep.count {
        case 1:
            break
        case 2:
            step = try number(String(rangeAndStep[1]), names: [:])
            if single { end = bounds.max }
            if step > 1 { extra = 0 }
        default:
            throw ParseError(message: "too many slashes: \(expression)")
        }
        if start < bounds.min {
            throw ParseError(message: "beginning of range (\(start)) below minimum (\(bounds.min)): \(expression)")
        }
        if end > bounds.max {
            throw ParseError(message: "end of range (\(end)) above maximum (\(bounds.max)): \(expression)")
        }
        if start > end {
            throw ParseError(message: "beginning of range (\(start)) beyond end of range (\(end)): \(expression)")
        }
        if step == 0 { throw ParseError(message: "step of range should be a positive number: \(expression)") }
        var bits: UInt64 = 0
        var value = start
        while value <= end {
            bits |= 1 << value
            value += step
        }
        return bits | extra
    }

    /// `parseIntOrName` / `mustParseInt`.
    static func number(_ text: String, names: [String: UInt64]) throws(ParseError) -> UInt64 {
        if let named = names[text.lowercased()] { return named }
        guard let value = Int(text) else {
            throw ParseError(
                message: "failed to parse int from \(text): strconv.Atoi: parsing \"\(text)\": invalid syntax"
            )
        }
        guard value >= 0 else { throw ParseError(message: "negative number (\(value)) not allowed: \(text)") }
        return UInt64(value)
    }

    /// `parseDescriptor`.
    static func descriptor(_ text: String) throws(ParseError) -> Kind {
        let all: (Bounds) -> UInt64 = { bounds in
            var bits = starBit
            for value in bounds.min...bounds.max { bits |= 1 << value }
            return bits
        }
        switch text {
        case "@yearly", "@annually":
            return .fields(minute: 1, hour: 1, dayOfMonth: 1 << 1, month: 1 << 1, dayOfWeek: all(daysOfWeek))
        case "@monthly":
            return .fields(minute: 1, hour: 1, dayOfMonth: 1 << 1, month: all(months), dayOfWeek: all(daysOfWeek))
        case "@weekly":
            return .fields(minute: 1, hour: 1, dayOfMonth: all(daysOfMonth), month: all(months), dayOfWeek: 1)
        case "@daily", "@midnight":
            return .fields(
                minute: 1,
                hour: 1,
                dayOfMonth: all(daysOfMonth),
                month: all(months),
                dayOfWeek: all(daysOfWeek)
            )
        case "@hourly":
            return .fields(
                minute: 1,
                hour: all(hours),
                dayOfMonth: all(daysOfMonth),
                month: all(months),
                dayOfWeek: all(daysOfWeek)
            )
        default:
            break
        }
        let every = "@every "
        guard text.hasPrefix(every) else { throw ParseError(message: "unrecognized descriptor: \(text)") }
        let durationText = String(text.dropFirst(every.count))
        guard let duration = GoDuration.parse(durationText) else {
            throw ParseError(
                message: "failed to parse duration \(text): time: invalid duration \"\(durationText)\""
            )
        }
        // Every(): at least a second, whole seconds.
        return .every(seconds: max(1, duration.components.seconds))
    }
}
