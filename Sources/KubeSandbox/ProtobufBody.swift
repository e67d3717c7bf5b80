import Foundation
import Kubernetes

/// Decodes the protobuf request bodies kubectl's typed clients send (`application/vnd.kubernetes.protobuf`)
/// for the kinds `kubectl create namespace|configmap|secret|serviceaccount` write. Other kinds get 415.
///
/// Envelope: `k8s\0` + runtime.Unknown { 1: typeMeta { 1: apiVersion, 2: kind }, 2: raw object }.
enum ProtobufBody {
    struct Field {
        var number: Int
        var varint: UInt64 = 0
        var bytes: ArraySlice<UInt8> = []
    }

    static func decode(_ data: [UInt8]) throws(APIStatus) -> JSONValue {
        guard data.count >= 4, Array(data.prefix(4)) == [0x6B, 0x38, 0x73, 0x00] else {
            throw APIStatus.badRequest("protobuf body does not start with the k8s envelope magic")
        }
        let envelope = try fields(data[4...])
        let typeMeta = try fields(envelope.first { $0.number == 1 }?.bytes ?? [])
        let apiVersion = string(typeMeta, 1) ?? ""
        let kind = string(typeMeta, 2) ?? ""
        let raw = try fields(envelope.first { $0.number == 2 }?.bytes ?? [])
        var object: JSONObject = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        object["metadata"] = try objectMeta(raw.first { $0.number == 1 }?.bytes ?? [])
        switch (apiVersion, kind) {
        case ("v1", "Namespace"):
            let spec = try fields(raw.first { $0.number == 2 }?.bytes ?? [])
            let finalizers = strings(spec, 1)
            object["spec"] = finalizers.isEmpty ? [:] : ["finalizers": .array(finalizers.map { .string($0) })]
        case ("v1", "ConfigMap"):
            let data = try map(raw, 2)
            if !data.isEmpty {
                object["data"] = .object(data.mapValues { .string(String(decoding: $0, as: UTF8.self)) })
            }
            let binary = try map(raw, 3)
            if !binary.isEmpty {
                object["binaryData"] = .object(binary.mapValues { .string(Data($0).base64EncodedString()) })
            }
            if let immutable = raw.first(where: { $0.number == 4 }) {
                object["immutable"] = .bool(immutable.varint != 0)
            }
        case ("v1", "Secret"):
            let data = try map(raw, 2)
            if !data.isEmpty { object["data"] = .object(data.mapValues { .string(Data($0).base64EncodedString()) }) }
            if let type = string(raw, 3) { object["type"] = .string(type) }
            if let immutable = raw.first(where: { $0.number == 5 }) {
                object["immutable"] = .bool(immutable.varint != 0)
            }
            let stringData = try map(raw, 4)
            if !stringData.isEmpty {
                object["stringData"] = .object(stringData.mapValues { .string(String(decoding: $0, as: UTF8.self)) })
            }
        case ("v1", "ServiceAccount"):
            break
        default:
            throw APIStatus.unsupportedMediaType
        }
        return .object(object)
    }

    private static func objectMeta(_ bytes: ArraySlice<UInt8>) throws(APIStatus) -> JSONValue {
        let meta = try fields(bytes)
        var object: JSONObject = [:]
        if let name = string(meta, 1) { object["name"] = .string(name) }
        if let generateName = string(meta, 2) { object["generateName"] = .string(generateName) }
        if let namespace = string(meta, 3) { object["namespace"] = .string(namespace) }
        let labels = try map(meta, 11)
        if !labels.isEmpty {
            object["labels"] = .object(labels.mapValues { .string(String(decoding: $0, as: UTF8.self)) })
        }
        let annotations = try map(meta, 12)
        if !annotations.isEmpty {
            object["annotations"] = .object(annotations.mapValues { .string(String(decoding: $0, as: UTF8.self)) })
        }
        let finalizers = strings(meta, 14)
        if !finalizers.isEmpty { object["finalizers"] = .array(finalizers.map { .string($0) }) }
        return .object(object)
    }

    private static func string(_ fields: [Field], _ number: Int) -> String? {
        fields.last { $0.number == number }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    private static func strings(_ fields: [Field], _ number: Int) -> [String] {
        fields.filter { $0.number == number }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// A protobuf map<string, string|bytes> (repeated entries { 1: key, 2: value }).
    private static func map(_ fields: [Field], _ number: Int) throws(APIStatus) -> JSONObjectOf<[UInt8]> {
        var result = JSONObjectOf<[UInt8]>()
        for entry in fields where entry.number == number {
            let inner = try Self.fields(entry.bytes)
            let key = string(inner, 1) ?? ""
            result.pairs.append((key, Array(inner.last { $0.number == 2 }?.bytes ?? [])))
        }
        return result
    }

    /// Parses one message level (varint, 64-bit, length-delimited and 32-bit fields).
    static func fields(_ bytes: ArraySlice<UInt8>) throws(APIStatus) -> [Field] {
        var result: [Field] = []
        var index = bytes.startIndex
        func varint() throws(APIStatus) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                if shift > 63 { break }
            }
            throw APIStatus.badRequest("malformed protobuf body (varint)")
        }
        while index < bytes.endIndex {
            let tag = try varint()
            var field = Field(number: Int(tag >> 3))
            switch tag & 7 {
            case 0: field.varint = try varint()
            case 1: index += 8
            case 5: index += 4
            case 2:
                let length = Int(try varint())
                guard length >= 0, index + length <= bytes.endIndex else {
                    throw APIStatus.badRequest("malformed protobuf body (length)")
                }
                field.bytes = bytes[index..<(index + length)]
                index += length
            default: throw APIStatus.badRequest("malformed protobuf body (wire type \(tag & 7))")
            }
            guard index <= bytes.endIndex else { throw APIStatus.badRequest("malformed protobuf body (truncated)") }
            result.append(field)
        }
        return result
    }
}

/// Ordered string-keyed pairs (protobuf maps keep no order; this keeps the wire order).
struct JSONObjectOf<Value> {
    var pairs: [(String, Value)] = []
    var isEmpty: Bool { pairs.isEmpty }

    func mapValues(_ transform: (Value) -> JSONValue) -> JSONObject {
        var object = JSONObject()
        for (key, value) in pairs { object[key] = transform(value) }
        return object
    }
}
