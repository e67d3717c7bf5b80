import Foundation
import ObjectStorage
import Testing

/// The signer against AWS's published SigV4 test-suite vectors (aws-sig-v4-test-suite, 2015-08-30).
struct SigV4SignerTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var method = "GET"
        var path = "/"
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body = ""
        var signedHeaders = "host;x-amz-date"
        var signature: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-unreserved",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),
        Vector(
            name: "get-vanilla-query-order-key-case",
            query: [("Param2", "value2"), ("Param1", "value1")],
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        Vector(
            name: "get-vanilla-query-order-value",
            query: [("Param1", "value2"), ("Param1", "value1")],
            signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"
        ),
        Vector(
            name: "get-vanilla-utf8-query",
            query: [("\u{1234}", "bar")],
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"
        ),
        Vector(
            name: "get-header-value-order",
            headers: [
                ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2"),
            ],
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"
        ),
        Vector(
            name: "get-header-key-duplicate",
            headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"
        ),
        Vector(
            name: "get-header-value-trim",
            headers: [("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
        Vector(
            name: "post-x-www-form-urlencoded",
            method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        ),
    ]

    static func sha256Hex(_ text: String) -> String {
        // Via the signer's own empty-hash constant for "", else computed by the test from the canonical form.
        text.isEmpty ? SigV4Signer.emptyPayloadHash : knownHashes[text] ?? ""
    }

    /// SHA-256 of the vector bodies, as published in the suite's canonical requests.
    static let knownHashes = ["Param1=value1": "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"]

    @Test(arguments: vectors)
    func publishedVector(_ vector: Vector) {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let added = signer.signedHeaders(
            method: vector.method,
            path: vector.path,
            query: vector.query,
            headers: [("Host", "example.amazonaws.com")] + vector.headers,
            payloadHash: Self.sha256Hex(vector.body),
            date: Self.date
        )
        let authorization = added.first { $0.0 == "authorization" }?.1
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=\(Self.scope), SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
        )
        #expect(added.first { $0.0 == "x-amz-date" }?.1 == "20150830T123600Z")
    }

    @Test func sessionTokenVector() {
        var credentials = Self.credentials
        credentials.sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let added = signer.signedHeaders(
            method: "GET",
            path: "/",
            query: [],
            headers: [("host", "example.amazonaws.com")],
            payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.date
        )
        #expect(added.first { $0.0 == "x-amz-security-token" }?.1 == credentials.sessionToken)
        #expect(
            added.first { $0.0 == "authorization" }?.1
                == "AWS4-HMAC-SHA256 Credential=\(Self.scope), SignedHeaders=host;x-amz-date;x-amz-security-token, "
                + "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        )
    }

    /// The presigned-URL example of the S3 documentation ("Authenticating Requests: Using Query Parameters").
    @Test func presignedURLVectorOfTheS3Documentation() {
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ),
            region: "us-east-1",
            service: "s3"
        )
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let query = signer.presignedQuery(
            method: "GET",
            path: "/test.txt",
            host: "examplebucket.s3.amazonaws.com",
            date: date,
            expires: 86400
        )
        #expect(
            query
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
                + "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    @Test func canonicalRequestAndStringToSignOfQueryOrderVector() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let canonical = signer.canonicalRequest(
            method: "GET",
            path: "/",
            query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [("host", "example.amazonaws.com"), ("x-amz-date", "20150830T123600Z")],
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        #expect(
            canonical.text
                == "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                + "host;x-amz-date\n\(SigV4Signer.emptyPayloadHash)"
        )
        let toSign = signer.stringToSign(canonicalRequest: canonical.text, date: Self.date)
        #expect(
            toSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
        )
    }

    @Test func publishedCanonicalURIs() {
        #expect(SigV4Signer.encodedPath("/example space/") == "/example%20space/")
        #expect(SigV4Signer.encodedPath("/\u{1234}") == "/%E1%88%B4")
        #expect(SigV4Signer.encodedPath("") == "/")
    }

    @Test func s3KeysAreEncodedOnceWithSlashesKept() {
        #expect(SigV4Signer.encodedPath("/bucket/a b/c+d%e") == "/bucket/a%20b/c%2Bd%25e")
        #expect(SigV4Signer.canonicalQuery([("prefix", "a b/"), ("list-type", "2")]) == "list-type=2&prefix=a%20b%2F")
        #expect(SigV4Signer.canonicalQuery([("uploads", "")]) == "uploads=")
    }
}
