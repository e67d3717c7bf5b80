extension KubeClient {
    /// Tuning of a ``KubeClient``: rate limit, connection pool, timeouts and retries.
    public struct Configuration: Sendable {
        /// Client-side rate limit: sustained requests per second (token bucket refill). 0 disables the limit.
        public var qps: Double
        /// Client-side rate limit: bucket size.
        public var burst: Int
        /// Maximum concurrent connections to the API server.
        public var maxConnections: Int
        /// Timeout of one request attempt (watches are exempt).
        public var requestTimeout: Duration
        /// Timeout to establish a connection.
        public var connectTimeout: Duration
        /// How many attempts an idempotent request (or a 429) gets in total.
        public var maxAttempts: Int
        /// First retry delay; doubles each attempt up to ``maxBackoff``, with ±``jitter`` randomisation.
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// Fraction of random jitter added to each backoff (0.2 = up to +20%).
        public var jitter: Double
        /// The User-Agent header.
        public var userAgent: String
        /// Largest response body accepted (bytes).
        public var maxResponseBytes: Int

        public init(
            qps: Double = 100,
            burst: Int = 100,
            maxConnections: Int = 32,
            requestTimeout: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(10),
            maxAttempts: Int = 5,
            initialBackoff: Duration = .milliseconds(200),
            maxBackoff: Duration = .seconds(10),
            jitter: Double = 0.2,
            userAgent: String = "lifeboat",
            maxResponseBytes: Int = 1 << 30
        ) {
            self.qps = qps
            self.burst = burst
            self.maxConnections = maxConnections
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.jitter = jitter
            self.userAgent = userAgent
            self.maxResponseBytes = maxResponseBytes
        }
    }
}
