import Logging
import NIOHTTP1

public import struct Foundation.Date

extension S3ObjectStore {
    /// Aborts the multipart uploads under `prefix` that were started before `cutoff` and never completed —
    /// those of a process killed mid-upload. Their parts are invisible to listings and reads, but the bucket
    /// keeps (and bills) them until they are aborted. Returns how many were aborted.
    ///
    /// Lists with ListMultipartUploads (paginated by key and upload-ID markers) and aborts each with
    /// AbortMultipartUpload; an upload that completed or was aborted meanwhile (404) is not counted.
    public func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int {
        var aborted = 0
        var keyMarker: String?
        var uploadMarker: String?
        while true {
            var query = [("uploads", ""), ("max-uploads", "1000")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadMarker { query.append(("upload-id-marker", uploadMarker)) }
            let text = try await send(S3Request(method: .GET, key: nil, query: query)).text
            for (key, id) in Self.abandonedUploads(inListing: text, prefix: prefix, before: cutoff) {
                do {
                    _ = try await send(S3Request(method: .DELETE, key: key, query: [("uploadId", id)]))
                    aborted += 1
                    logger.debug(
                        "aborted an abandoned multipart upload",
                        metadata: ["object.key": "\(key)", "s3.uploadId": "\(id)"]
                    )
                } catch let error as ObjectStoreError where error.code == .notFound {
                    continue
                }
            }
            guard S3XML.value("IsTruncated", in: text) == "true" else { return aborted }
            let nextKey = S3XML.value("NextKeyMarker", in: text)
            let nextUpload = S3XML.value("NextUploadIdMarker", in: text)
            guard let nextKey, !nextKey.isEmpty, nextKey != keyMarker || nextUpload != uploadMarker else {
                throw ObjectStoreError(
                    code: .http,
                    message: "ListMultipartUploads on \(bucketDescription) is truncated but has no next marker"
                )
            }
            keyMarker = nextKey
            uploadMarker = nextUpload
        }
    }

    /// The uploads of one ListMultipartUploads page whose key starts with `prefix` and that were initiated
    /// before `cutoff`, as (key, upload ID).
    static func abandonedUploads(
        inListing text: Substring,
        prefix: String,
        before cutoff: Date
    ) -> [(key: String, id: String)] {
        S3XML.elements("Upload", in: text).compactMap { upload in
            guard let key = S3XML.value("Key", in: upload), key.hasPrefix(prefix),
                let id = S3XML.value("UploadId", in: upload), !id.isEmpty,
                let initiated = S3XML.value("Initiated", in: upload).flatMap(UTCDateFormat.parseISO8601),
                initiated < cutoff
            else { return nil }
            return (key, id)
        }
    }
}
