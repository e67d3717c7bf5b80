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
                throw NodeAgentCLIError("\(path): neither JSON nor YAML: \(e.message)")
            }
        }
        var result: [JSONValue] = []
        for doc in documents {
            if case .array(let items) = doc {
                result += items
            } else if let kind = doc["kind"]?.stringValue, kind.hasSuffix("List"), let items = doc["items"]?.arrayValue {
                result += items
            } else if !doc.isNull {
                result.append(doc)
            }
        }
        return result
    }

    static func readText(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeAgentCLIError("cannot read \(path): no such file or not readable")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A user-facing error of the node-agent commands.
struct NodeAgentCLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
