/// RFC 7386 JSON merge patch (`application/merge-patch+json`), as kube-apiserver applies it.
///
/// Objects in the patch are merged member by member, `null` removes a member, and every other
/// value (including arrays) replaces the target's value.
///
/// ```swift
/// let merged = JSONMergePatch.apply(["data": ["a": nil, "b": "2"]], to: configMap)
/// ```
public enum JSONMergePatch {
    /// Applies `patch` to `target` (RFC 7386 §2 `MergePatch`).
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result: JSONObject
        if case .object(let o) = target { result = o } else { result = [:] }
        for (name, value) in patchMembers {
            if value.isNull {
                result.removeValue(forKey: name)
            } else {
                result[name] = apply(value, to: result[name] ?? .null)
            }
        }
        return .object(result)
    }

    /// Creates the merge patch that turns `original` into `modified` (like json-patch's `CreateMergePatch`):
    /// changed and added members carry their new value, removed members are `null`, arrays are whole.
    public static func create(from original: JSONValue, to modified: JSONValue) -> JSONValue {
        guard case .object(let before) = original, case .object(let after) = modified else { return modified }
        var patch: JSONObject = [:]
        for (name, old) in before where after[name] == nil {
            _ = old
            patch[name] = .null
        }
        for (name, new) in after {
            guard let old = before[name] else {
                patch[name] = new
                continue
            }
            if old == new { continue }
            if case .object = old, case .object = new {
                patch[name] = create(from: old, to: new)
            } else {
                patch[name] = new
            }
        }
        return .object(patch)
    }
}
