extension LabelSelector {
    /// Reads the LabelSelector JSON form (`{"matchLabels": {...}, "matchExpressions": [...]}`) as
    /// apimachinery's `LabelSelectorAsSelector` does: `null` matches nothing, `{}` matches everything,
    /// matchLabels become `key=value` requirements, matchExpressions operators are In, NotIn, Exists,
    /// DoesNotExist.
    ///
    /// - Throws: ``KubeError`` `.invalidSelector` naming the field and the problem.
    public init(json value: JSONValue?) throws {
        guard let value, !value.isNull else {
            self = .nothing
            return
        }
        guard let object = value.objectValue else {
            throw KubeError(
                code: .invalidSelector,
                message: "invalid label selector: expected an object, got \(value.typeName)"
            )
        }
        var requirements: [Requirement] = []
        if let matchLabels = object["matchLabels"], !matchLabels.isNull {
            guard let labels = matchLabels.objectValue else {
                throw KubeError(
                    code: .invalidSelector,
                    message: "invalid label selector: matchLabels must be an object"
                )
            }
            for (k, v) in labels {
                guard let s = v.stringValue else {
                    throw KubeError(
                        code: .invalidSelector,
                        message: "invalid label selector: matchLabels.\(k) must be a string"
                    )
                }
                requirements.append(try Requirement(key: k, operator: .equals, values: [s]))
            }
        }
        if let expressions = object["matchExpressions"], !expressions.isNull {
            guard let list = expressions.arrayValue else {
                throw KubeError(
                    code: .invalidSelector,
                    message: "invalid label selector: matchExpressions must be a list"
                )
            }
            for (i, e) in list.enumerated() {
                guard let key = e["key"]?.stringValue else {
                    throw KubeError(
                        code: .invalidSelector,
                        message: "invalid label selector: matchExpressions[\(i)].key is required"
                    )
                }
                let opName = e["operator"]?.stringValue ?? ""
                let values = (e["values"]?.arrayValue ?? []).compactMap(\.stringValue)
                let op: Requirement.Operator
                switch opName {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default:
                    throw KubeError(
                        code: .invalidSelector,
                        message:
                            "invalid label selector: matchExpressions[\(i)].operator: \"\(opName)\" is not a valid label selector operator"
                    )
                }
                requirements.append(try Requirement(key: key, operator: op, values: values))
            }
        }
        self.init(requirements)
    }

    /// The LabelSelector JSON form: `=`/`==` requirements go to matchLabels (when one per key), the rest to
    /// matchExpressions (`!=` becomes NotIn). ``nothing`` becomes `null`.
    public var json: JSONValue {
        if matchesNothing { return .null }
        var matchLabels = JSONObject()
        var expressions: [JSONValue] = []
        let equalsCount = Dictionary(
            grouping: requirements.filter { $0.operator == .equals || $0.operator == .doubleEquals },
            by: \.key
        )
        for r in requirements {
            switch r.operator {
            case .equals, .doubleEquals:
                if equalsCount[r.key]?.count == 1 {
                    matchLabels[r.key] = .string(r.values.first ?? "")
                } else {
                    expressions.append([
                        "key": .string(r.key), "operator": "In", "values": .array(r.values.map(JSONValue.string)),
                    ])
                }
            case .in:
                expressions.append([
                    "key": .string(r.key), "operator": "In", "values": .array(r.values.map(JSONValue.string)),
                ])
            case .notEquals, .notIn:
                expressions.append([
                    "key": .string(r.key), "operator": "NotIn", "values": .array(r.values.map(JSONValue.string)),
                ])
            case .exists: expressions.append(["key": .string(r.key), "operator": "Exists"])
            case .doesNotExist: expressions.append(["key": .string(r.key), "operator": "DoesNotExist"])
            }
        }
        var o = JSONObject()
        if !matchLabels.isEmpty { o["matchLabels"] = .object(matchLabels) }
        if !expressions.isEmpty { o["matchExpressions"] = .array(expressions) }
        return .object(o)
    }
}
