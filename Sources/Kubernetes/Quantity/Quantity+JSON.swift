import Foundation

extension Quantity {
    /// Reads a quantity from JSON the way apimachinery's `UnmarshalJSON` does: a string ("500m")
    /// or a bare number (`2`, `0.5`).
    ///
    /// - Throws: ``KubeError`` (`.invalidArgument`) naming the value when it is not a valid quantity.
    public init(json: JSONValue) throws {
        switch json {
        case .string(let s):
            try self.init(parsing: s)
        case .int(let i):
            self.init(i)
        case .double(let d):
            try self.init(parsing: d.description.replacingOccurrences(of: "e+", with: "e"))
        default:
            throw KubeError(
                code: .invalidArgument,
                message: "cannot parse quantity from JSON \(json.typeName) \(json): expected a string or a number"
            )
        }
    }

    /// The canonical string as a JSON value (how the API server serializes quantities).
    public var jsonValue: JSONValue { .string(description) }
}

extension Quantity: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let i = try? container.decode(Int64.self) {
            self.init(i)
        } else {
            try self.init(parsing: try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
