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
        guard let (version, expected) = try? self.connection.driver.schemaVersion() else {
            return Readiness(reachable: false, schemaVersion: 0, expectedSchemaVersion: 0)
        }
        return Readiness(reachable: true, schemaVersion: version, expectedSchemaVersion: expected)
    }

    /// The connection's use since the store opened (it has one connection, on either database).
    public func databaseUse() -> DatabaseUse { self.connection.use }

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
