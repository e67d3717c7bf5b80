/// Strategic merge patch (`application/strategic-merge-patch+json`) as kube-apiserver applies it to
/// built-in types (apimachinery's `StrategicMergeMapPatch`).
///
/// - Objects merge member by member; `null` deletes a member.
/// - Lists the ``PatchSchema`` declares as merged combine with the live list: objects by merge key
///   (new elements come first, then the live ones, like apimachinery), scalars as a set. Other lists
///   are replaced.
/// - Directives: `$patch: replace | delete` in an object; `{"<key>": v, "$patch": "delete"}` and
///   `{"$patch": "replace"}` elements in a merged list; `$deleteFromPrimitiveList/<field>`;
///   `$setElementOrder/<field>`; `$retainKeys`.
///
/// ```swift
/// let schema = PatchSchemaRegistry.builtIn.schema(group: "apps", kind: "Deployment")!
/// let patched = try StrategicMergePatch.apply(patch, to: live, schema: schema)
/// ```
public enum StrategicMergePatch {
    /// Applies `patch` to `original`.
    ///
    /// - Throws: ``KubeError`` with `.badRequest` for malformed patches (bad directive, missing merge key,
    ///   malformed `$retainKeys` / `$setElementOrder` / `$deleteFromPrimitiveList`) and `.invalid` for lists
    ///   of lists; messages name the field path.
    public static func apply(_ patch: JSONValue, to original: JSONValue, schema: PatchSchema) throws -> JSONValue {
        guard case .object(let patchObject) = patch else {
            throw KubeError(
                code: .badRequest,
                message: "strategic merge patch must be a JSON object, got \(patch.typeName)"
            )
        }
        let originalObject: JSONObject
        switch original {
        case .object(let o): originalObject = o
        case .null: originalObject = [:]
        default:
            throw KubeError(
                code: .badRequest,
                message: "cannot apply a strategic merge patch to a JSON \(original.typeName)"
            )
        }
        let merger = StrategicMerger(schema: schema)
        return .object(try merger.mergeMap(originalObject, patchObject, path: []))
    }
}

/// Directive names.
enum PatchDirective {
    static let marker = "$patch"
    static let replace = "replace"
    static let delete = "delete"
    static let merge = "merge"
    static let retainKeys = "$retainKeys"
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList"
    static let setElementOrder = "$setElementOrder"
}

/// Removes `null` members everywhere in a value (apimachinery's `discardNullValuesFromPatch`).
func discardingNulls(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let o):
        var result = JSONObject(minimumCapacity: o.count)
        for (k, v) in o where !v.isNull { result[k] = discardingNulls(v) }
        return .object(result)
    case .array(let a):
        return .array(a.map(discardingNulls))
    default:
        return value
    }
}
