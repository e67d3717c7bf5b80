/// A label selector: a conjunction of requirements, parsed from the string syntax
/// (`app=web,tier in (a,b),!legacy`) or from the LabelSelector JSON form (matchLabels / matchExpressions).
///
/// Behaves like apimachinery's `labels.Selector`: requirements are kept sorted by key, the string form is
/// canonical (`description`), an empty selector matches everything, and ``nothing`` (a JSON `null` selector)
/// matches nothing.
///
/// ```swift
/// let s = try LabelSelector(parsing: "app=web,tier notin (cache)")
/// s.matches(["app": "web", "tier": "db"])   // true
/// s.description                              // "app=web,tier notin (cache)"
/// ```
public struct LabelSelector: Sendable, Hashable {
    /// One requirement: a key, an operator and (for the value operators) a set of values.
    public struct Requirement: Sendable, Hashable {
        /// The relation between a label and the values.
        public enum Operator: String, Sendable, Hashable {
            case equals = "="
            case doubleEquals = "=="
            case notEquals = "!="
            case `in` = "in"
            case notIn = "notin"
            case exists = "exists"
            case doesNotExist = "!"
        }

        public var key: String
        public var `operator`: Operator
        /// Sorted, without duplicates. Exactly one value for the (not-)equals operators, none for (does-not-)exist.
        public var values: [String]

        /// Creates a validated requirement.
        ///
        /// - Throws: ``KubeError`` `.invalidSelector` for an invalid key or value, or a value count the operator forbids.
        public init(key: String, operator op: Operator, values: [String] = []) throws {
            if let problem = LabelValidation.keyProblem(key) {
                throw KubeError(code: .invalidSelector, message: "invalid label key \"\(key)\": \(problem)")
            }
            let set = Array(Set(values)).sorted()
            switch op {
            case .equals, .doubleEquals, .notEquals:
                guard set.count == 1 else {
                    throw KubeError(
                        code: .invalidSelector,
                        message:
                            "invalid label selector requirement on \"\(key)\": exact-match compatibility requires one single value"
                    )
                }
            case .in, .notIn:
                guard !set.isEmpty else {
                    throw KubeError(
                        code: .invalidSelector,
                        message:
                            "invalid label selector requirement on \"\(key)\": for 'in', 'notin' operators, values set can't be empty"
                    )
                }
            case .exists, .doesNotExist:
                guard set.isEmpty else {
                    throw KubeError(
                        code: .invalidSelector,
                        message:
                            "invalid label selector requirement on \"\(key)\": values set must be empty for exists and does not exist"
                    )
                }
            }
            for value in set {
                if let problem = LabelValidation.valueProblem(value) {
                    throw KubeError(code: .invalidSelector, message: "invalid label value \"\(value)\": \(problem)")
                }
            }
            self.key = key
            self.operator = op
            self.values = set
        }

        /// Whether a set of labels satisfies this requirement.
        public func matches(_ labels: [String: String]) -> Bool {
            switch self.operator {
            case .equals, .doubleEquals, .in:
                guard let v = labels[key] else { return false }
                return values.contains(v)
            case .notEquals, .notIn:
                guard let v = labels[key] else { return true }
                return !values.contains(v)
            case .exists: return labels[key] != nil
            case .doesNotExist: return labels[key] == nil
            }
        }
    }

    /// The requirements, sorted by key (stable for equal keys).
    public private(set) var requirements: [Requirement]
    /// True for the selector that matches nothing (a `null` LabelSelector in an API object).
    public private(set) var matchesNothing: Bool

    /// A selector from requirements (sorted by key like apimachinery).
    public init(_ requirements: [Requirement] = []) {
        self.requirements = LabelSelector.sortedByKey(requirements)
        matchesNothing = false
    }

    /// A selector requiring `key=value` for every pair (like `labels.SelectorFromSet`).
    ///
    /// - Throws: ``KubeError`` `.invalidSelector` for an invalid key or value.
    public init(matchLabels: [String: String]) throws {
        try self.init(matchLabels.map { try Requirement(key: $0.key, operator: .equals, values: [$0.value]) })
    }

    /// The selector that matches everything.
    public static let everything = LabelSelector()
    /// The selector that matches nothing.
    public static var nothing: LabelSelector {
        var s = LabelSelector()
        s.matchesNothing = true
        return s
    }

    /// Whether this selector matches everything (no requirements).
    public var isEmpty: Bool { requirements.isEmpty && !matchesNothing }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        for r in requirements where !r.matches(labels) { return false }
        return true
    }

    /// A selector with one more requirement.
    public func adding(_ requirement: Requirement) -> LabelSelector {
        var copy = self
        copy.requirements = LabelSelector.sortedByKey(requirements + [requirement])
        return copy
    }

    private static func sortedByKey(_ rs: [Requirement]) -> [Requirement] {
        rs.enumerated().sorted { a, b in
            a.element.key != b.element.key ? a.element.key < b.element.key : a.offset < b.offset
        }.map(\.element)
    }
}

extension LabelSelector.Requirement: CustomStringConvertible {
    /// The canonical text: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
    public var description: String {
        switch self.operator {
        case .equals, .doubleEquals, .notEquals: return key + self.operator.rawValue + (values.first ?? "")
        case .in: return "\(key) in (\(values.joined(separator: ",")))"
        case .notIn: return "\(key) notin (\(values.joined(separator: ",")))"
        case .exists: return key
        case .doesNotExist: return "!" + key
        }
    }
}

extension LabelSelector: CustomStringConvertible {
    /// The canonical string form (requirements sorted by key, values sorted), as apimachinery prints it;
    /// "" for everything. The selector that matches nothing prints as "<none>" (not parseable, like apimachinery).
    public var description: String {
        if matchesNothing { return "<none>" }
        return requirements.map(\.description).joined(separator: ",")
    }
}
