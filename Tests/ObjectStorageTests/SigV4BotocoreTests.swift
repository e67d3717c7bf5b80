import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProcessTesting
import Testing

@testable import ObjectStorage

/// S3 requests exactly as `S3ObjectStore` sends them, signed independently by botocore (the AWS SDK for
/// Python, installed with moto): the signatures must match. moto does not check signatures, so this is
/// the cross-check for the S3-specific parts (payload hash header, key and query encoding, extra headers).
struct SigV4BotocoreTests {
    static let script = """
        import json, sys
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        out = []
        for c in json.load(sys.stdin):
            headers = {k: v for k, v in c["headers"] if k.lower() not in ("authorization", "x-amz-date", "host")}
            req = AWSRequest(method=c["method"], url=c["url"], headers=headers, data=c["body"].encode())
            auth = S3SigV4Auth(Credentials(c["ak"], c["sk"], c.get("token")), "s3", c["region"])
            req.context["timestamp"] = c["date"]
            req.context["payload_signing_enabled"] = True
            auth._modify_request_before_signing(req)
            cr = auth.canonical_request(req)
            out.append(auth.signature(auth.string_to_sign(req, cr), req))
        print(json.dumps(out))
        """

    @Test func signaturesMatchBotocore() async throws {
        guard let python = try? ChildProcess.find("python3") else {
            Issue.record("python3 not found on PATH; `make test` installs it with moto")
            return
        }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let stores = [
            try S3ObjectStore(
                configuration: S3Configuration(
                    bucket: "velero-backups",
                    region: "minio",
                    endpoint: "http://127.0.0.1:9000",
                    forcePathStyle: true
                ),
                credentials: AWSCredentials(accessKeyID: "AKIAEXAMPLE", secretAccessKey: "secret/with+chars="),
                logger: Logger(label: "test")
            ),
            try S3ObjectStore(
                configuration: S3Configuration(bucket: "bkt", region: "eu-west-1", endpoint: "http://s3.example.com"),
                credentials: AWSCredentials(accessKeyID: "AKIA2", secretAccessKey: "s2", sessionToken: "token+/="),
                logger: Logger(label: "test")
            ),
        ]
        let requests = [
            S3Request(method: .GET, key: "backups/b1/b1.tar.gz"),
            S3Request(method: .HEAD, key: "with space/ü日本/a+b%c~d=e&f"),
            S3Request(
                method: .GET,
                key: nil,
                query: [
                    ("list-type", "2"), ("prefix", "backups/a b+"), ("delimiter", "/"),
                    ("continuation-token", "1/abc+def=="),
                ]
            ),
            S3Request(
                method: .PUT,
                key: "restic/ns1/data/00/0011",
                headers: [("x-amz-checksum-crc32", "NhCmhg==")],
                body: ByteBuffer(string: "hello")
            ),
            S3Request(
                method: .POST,
                key: "big",
                query: [("uploads", "")],
                headers: [("x-amz-checksum-algorithm", "CRC32")]
            ),
            S3Request(
                method: .PUT,
                key: "big",
                query: [("partNumber", "2"), ("uploadId", "u/p+id")],
                body: ByteBuffer(string: String(repeating: "x", count: 1000))
            ),
            S3Request(method: .GET, key: "k", headers: [("range", "bytes=10-19"), ("if-match", "\"etag\"")]),
            S3Request(method: .DELETE, key: "a/b"),
        ]
        var cases: [[String: Any]] = []
        var ours: [String] = []
        for store in stores {
            for request in requests {
                let (url, headers) = store.signed(request, date: date)
                let authorization = headers.first { $0.0 == "authorization" }?.1 ?? ""
                ours.append(String(authorization.split(separator: "=").last ?? ""))
                cases.append([
                    "method": request.method.rawValue, "url": url, "headers": headers.map { [$0.0, $0.1] },
                    "body": request.body.map { String(buffer: $0) } ?? "", "ak": store.signer.credentials.accessKeyID,
                    "sk": store.signer.credentials.secretAccessKey,
                    "token": store.signer.credentials.sessionToken as Any,
                    "region": store.configuration.region, "date": SigV4Signer.amzDate(date),
                ])
            }
        }
        let request = try JSONSerialization.data(withJSONObject: cases)
        let script = Self.script
        // Python with botocore takes seconds to start: ChildProcess waits for it off the cooperative pool.
        let result = try await ChildProcess.run(python, ["-c", script], input: request)
        let data = result.stdoutData
        try #require(
            result.status == 0,
            "botocore signing script failed (is moto/botocore installed?): \(result.stderr)"
        )
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [String])
        #expect(theirs.count == ours.count)
        for (index, (mine, botocore)) in zip(ours, theirs).enumerated() {
            #expect(mine == botocore, "request \(index): \(cases[index]["method"] ?? "") \(cases[index]["url"] ?? "")")
        }
    }
}
