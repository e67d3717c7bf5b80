import Foundation
import Kubernetes

/// Reads Kubernetes objects from a JSON or YAML file: single objects, several YAML documents, or a List.
enum KubernetesObjectFile {
    /// The objects in the file, with `List` kinds flattened into their items.
    static func objects(path: String) throws -> [JSONValue] {
        let text = try readText(path: path)
        let documents: [JSONValue]
        if let json = try? JSONValue(parsing: text) {
            documents = [json]
        } else {
            do {
                documents = try JSONValue.yamlDocuments(text)
            } catch let e as KubeError {
                throw CLIError("\(path): neither JSON nor YAML: \(e.message)")
            }
        }
        var result: [JSONValue] = []
        for doc in documents {
            if case .array(let items) = doc {
                result += items
            } else if let kind = doc["kind"]?.stringValue, kind.hasSuffix("List"), let items = doc["items"]?.arrayValue
            {
                result += items
            } else if !doc.isNull {
                result.append(doc)
            }
        }
        return result
    }

    static func readText(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path): no such file or not readable")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
