extension Store {
    /// What a load balancer's readiness check needs: the database answers a query, and its schema is the
    /// one this Ensemble expects (another instance may have migrated it to a newer one).
    public struct Readiness: Sendable, Hashable {
        public var reachable: Bool
        public var schemaVersion: Int
        public var expectedSchemaVersion: Int

        public var ready: Bool { self.reachable && self.schemaVersion == self.expectedSchemaVersion }
    }

    public func readiness() -> Readiness {
        let expected = Schema.migrations.count
        guard let version = try? self.connection.prepare("PRAGMA user_version").row([], { $0.int(0) }) else {
            return Readiness(reachable: false, schemaVersion: 0, expectedSchemaVersion: expected)
        }
        return Readiness(reachable: true, schemaVersion: version, expectedSchemaVersion: expected)
    }

    /// Jobs by state and kind (`drafting` or `fhir-push`), for the server's metrics: counts only.
    public func jobCounts() throws -> [(kind: String, state: String, count: Int)] {
        try self.connection.prepare(
            """
            SELECT CASE source WHEN ?1 THEN ?1 ELSE 'drafting' END AS kind, state, count(*) FROM jobs
            GROUP BY kind, state ORDER BY kind, state
            """
        ).rows([.text(Self.fhirPushSource)]) { (kind: $0.text(0), state: $0.text(1), count: $0.int(2)) }
    }
}
