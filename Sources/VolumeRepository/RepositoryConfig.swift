import Foundation

/// The repository's `config` file: format version, repository ID and the chunker polynomial.
package struct RepositoryConfig: Sendable, Hashable {
    package var version: Int
    package var id: String
    package var chunkerPolynomial: Polynomial

    package init(version: Int = 2, id: String, chunkerPolynomial: Polynomial) {
        self.version = version
        self.id = id
        self.chunkerPolynomial = chunkerPolynomial
    }

    /// A new v2 config with a random ID and polynomial.
    package static func random() -> RepositoryConfig {
        RepositoryConfig(id: BlobID.hash(randomBytes(32)).hex, chunkerPolynomial: .random())
    }

    package func encoded() -> [UInt8] {
        var json = GoJSON()
        json.beginObject()
        json.field("version", UInt64(version))
        json.field("id", id)
        json.field("chunker_polynomial", chunkerPolynomial.description)
        json.endObject()
        return json.bytes
    }

    private struct JSONForm: Decodable {
        var version: Int
        var id: String
        var chunker_polynomial: String
    }

    package init(decoding bytes: [UInt8]) throws {
        let form: JSONForm
        do {
            form = try JSONDecoder().decode(JSONForm.self, from: Data(bytes))
        } catch {
            throw RepositoryError(code: .corrupt, message: "config: invalid JSON", cause: error)
        }
        guard form.version == 1 || form.version == 2 else {
            throw RepositoryError(
                code: .unsupported,
                message: "config: repository version \(form.version) is not supported (1 or 2)"
            )
        }
        guard let poly = Polynomial(hex: form.chunker_polynomial) else {
            throw RepositoryError(
                code: .corrupt,
                message: "config: invalid chunker_polynomial \"\(form.chunker_polynomial)\""
            )
        }
        version = form.version
        id = form.id
        chunkerPolynomial = poly
    }
}
