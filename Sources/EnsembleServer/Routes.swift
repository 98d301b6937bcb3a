import EnsembleCore
import EnsembleFormats
import EnsembleService
import EnsembleStore
import EnsembleSystem
import Foundation
import Hummingbird

extension EnsembleServer {
    // MARK: - Webhook and jobs

    /// For load balancers and Prometheus: `/healthz` (the process answers), `/readyz` (the database
    /// answers and its schema is this Ensemble's) and `/metrics` (Prometheus' text format).
    func addOperationsRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            JSONResponse.make(.object([("status", .string("ok"))]))
        }
        router.get("/readyz") { _, _ -> Response in
            let readiness = await self.store.readiness()
            var members: [(String, JSONNode?)] = [
                ("status", .string(readiness.ready ? "ready" : "unavailable")),
                ("database", .string(readiness.reachable ? "reachable" : "unreachable")),
                ("schemaVersion", .number(readiness.schemaVersion)),
                ("expectedSchemaVersion", .number(readiness.expectedSchemaVersion)),
            ]
            if readiness.reachable && !readiness.ready {
                members.append(("reason", .string("the database's schema is not this Ensemble's")))
            }
            return JSONResponse.make(.object(members), status: readiness.ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { request, _ -> Response in
            if let token = self.settings.metricsToken {
                let sent = request.headers[.authorization] ?? ""
                guard Hashing.constantTimeEqual(sent, "Bearer " + token) else {
                    throw APIError(.unauthorized, "/metrics needs Authorization: Bearer with the metrics token")
                }
            }
            let text = await self.metrics.render(store: self.store)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    func addWebhookRoutes(to router: Router<BasicRequestContext>) {
        router.post("/webhooks/session-completed") { request, _ -> Response in
            do {
                let response = try await self.deliver(request)
                self.metrics.webhook(response.status == .accepted ? "accepted" : "duplicate")
                return response
            } catch {
                let outcome =
                    switch error {
                    case let error as APIError where error.status == .unauthorized: "unauthorized"
                    case is FormatError, is APIError: "invalid"
                    default: "error"
                    }
                self.metrics.webhook(outcome)
                throw error
            }
        }

        router.get("/jobs/{id}") { request, context -> Response in
            let user = try await self.reader(request)
            return JSONResponse.make(
                APIJSON.job(try await self.store.job(try context.pathID("id"), as: user.id)))
        }

        router.get("/jobs/{id}/events") { request, context -> Response in
            let user = try await self.reader(request)
            let job = try await self.store.job(try context.pathID("id"), as: user.id)
            // A job one of this instance's workers is running, or ran to its end, streams from its events
            // (its whole history); any other (queued, or running in another instance) is followed in the store.
            let stream =
                self.pool.isRunning(job.id) || self.events.hasFinished(job.id)
                ? self.events.subscribe(job.id, current: .state(job))
                : JobEvents.stored(job, store: self.store, interval: self.settings.pollInterval * 2)
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                    for await event in stream {
                        try await writer.write(ByteBuffer(string: "event: \(event.name)\ndata: \(event.data)\n\n"))
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// One delivery: verified, read (Ensemble's JSON or a FHIR Bundle) and queued once per event id.
    func deliver(_ request: Request) async throws -> Response {
        let body = try await request.bytes(upTo: self.settings.maxWebhookBytes)
        let source: WebhookSource
        switch self.verifier.verify(
            source: request.headers[.ensembleSource], timestamp: request.headers[.ensembleTimestamp],
            signature: request.headers[.ensembleSignature], body: body, now: self.clock())
        {
        case .success(let verified): source = verified
        case .failure(let refusal): throw APIError(.unauthorized, refusal.message)
        }
        let event: WebhookPayload
        var payload = String(decoding: body, as: UTF8.self)
        if request.headers[.contentType]?.lowercased().hasPrefix("application/fhir+json") == true {
            guard let mapping = self.settings.fhirMapping else {
                throw APIError(
                    .unsupportedMediaType, "this server reads no FHIR Bundles (Agents/fhir/mapping.json)")
            }
            (event, payload) = try WebhookPayload.fromFHIR(body, mapping: mapping)
        } else {
            event = try WebhookPayload.parse(body)
        }
        let enqueued = try await self.store.enqueueJob(
            source: source.name, eventID: event.eventID, session: event.session.id.rawValue,
            clinicians: event.session.clinicians.map(\.id.rawValue), payload: payload,
            maxAttempts: self.settings.maxAttempts, as: source.user)
        if !enqueued.duplicate { self.events.publish(enqueued.job.id, .state(enqueued.job)) }
        var response = JSONResponse.make(
            .object([
                ("jobId", .string(enqueued.job.id)), ("duplicate", .bool(enqueued.duplicate)),
                ("state", .string(enqueued.job.state.rawValue)), ("status", .string("/jobs/\(enqueued.job.id)")),
                ("events", .string("/jobs/\(enqueued.job.id)/events")),
            ]), status: enqueued.duplicate ? .ok : .accepted)
        response.headers[.location] = "/jobs/\(enqueued.job.id)"
        return response
    }

    /// A job's reader: a bearer token, or a signed-in browser's cookie (these routes only read, and the
    /// cookie is SameSite=Strict), so the sessions page can follow its jobs live.
    func reader(_ request: Request) async throws -> User {
        if request.headers[.authorization] == nil, let (user, _) = try await self.pageUser(request) { return user }
        return try await self.bearer(request)
    }

    // MARK: - REST API

    func addAPIRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api")
        let limit = self.settings.maxRequestBytes

        api.get("me") { request, _ -> Response in
            let user = try await self.bearer(request)
            return JSONResponse.make(
                .object([
                    ("id", .string(user.id)), ("name", .string(user.name)), ("role", .string(user.role.rawValue)),
                    ("clinicianId", .string(user.clinicianID)),
                    (
                        "permissions",
                        .array(
                            ReviewAction.allCases.filter { Policy.permits(user.role, $0) }.map { .string($0.rawValue) })
                    ),
                ]))
        }
        api.get("jobs") { request, _ -> Response in
            let user = try await self.bearer(request)
            return JSONResponse.make(.array(try await self.store.jobs(as: user.id).map(APIJSON.job)))
        }
        api.get("sessions") { request, _ -> Response in
            let user = try await self.bearer(request)
            return JSONResponse.make(.array(try await self.store.sessions(as: user.id).map(APIJSON.summary)))
        }
        api.get("sessions/{session}") { request, context -> Response in
            let user = try await self.bearer(request)
            let attendee = request.uri.queryParameters.get("attendee").map(PersonID.init)
            return JSONResponse.make(
                APIJSON.review(
                    try await self.store.review(
                        session: try context.pathID("session"), attendee: attendee, as: user.id)))
        }
        api.get("sessions/{session}/notes/{attendee}/versions/{version}") { request, context -> Response in
            let user = try await self.bearer(request)
            let (session, attendee) = try Self.note(context)
            let version = try context.parameters.require("version", as: Int.self)
            return JSONResponse.make(
                .object([
                    ("version", .number(version)),
                    (
                        "sections",
                        APIJSON.sections(
                            try await self.store.noteVersion(
                                session: session, attendee: attendee, version: version, as: user.id))
                    ),
                ]))
        }
        api.put("sessions/{session}/notes/{attendee}/sections/{section}") { request, context -> Response in
            let user = try await self.bearer(request)
            let (session, attendee) = try Self.note(context)
            let body = try await request.jsonObject(allowed: ["text", "baseVersion"], limit: limit)
            let version = try await self.store.editSection(
                session: session, attendee: attendee, section: try context.pathID("section"),
                text: try body.required("text", expected: "the section's new text").string(),
                baseVersion: try body.required("baseVersion", expected: "the version you edited").int(), as: user.id)
            return JSONResponse.make(.object([("version", .number(version))]))
        }
        api.post("sessions/{session}/notes/{attendee}/sections/{section}/decision") { request, context -> Response in
            let user = try await self.bearer(request)
            let (session, attendee) = try Self.note(context)
            let body = try await request.jsonObject(allowed: ["decision", "version"], limit: limit)
            try await self.store.reviewSection(
                session: session, attendee: attendee, section: try context.pathID("section"),
                decision: try Self.decision(body.required("decision", expected: "accepted or rejected")),
                version: try body.required("version", expected: "the version you reviewed").int(), as: user.id)
            return JSONResponse.make(.object([("recorded", .bool(true))]))
        }
        api.post("sessions/{session}/notes/{attendee}/sign") { request, context -> Response in
            let user = try await self.bearer(request)
            let (session, attendee) = try Self.note(context)
            let body = try await request.jsonObject(allowed: ["version"], limit: limit)
            let state = try await self.store.sign(
                session: session, attendee: attendee,
                version: try body.required("version", expected: "the version you reviewed").int(), as: user.id)
            await self.queuePushes()
            return JSONResponse.make(.object([("state", .string(state.rawValue))]))
        }
        api.post("sessions/{session}/notes/{attendee}/cosign") { request, context -> Response in
            let user = try await self.bearer(request)
            let (session, attendee) = try Self.note(context)
            try await self.store.cosign(session: session, attendee: attendee, as: user.id)
            await self.queuePushes()
            return JSONResponse.make(.object([("state", .string(NoteState.signed.rawValue))]))
        }
        api.post("sessions/{session}/notes/{attendee}/addenda") { request, context -> Response in
            let user = try await self.bearer(request)
            let (session, attendee) = try Self.note(context)
            let body = try await request.jsonObject(allowed: ["text"], limit: limit)
            try await self.store.addendum(
                session: session, attendee: attendee,
                text: try body.required("text", expected: "the addendum").string(),
                as: user.id)
            await self.queuePushes()
            return JSONResponse.make(.object([("recorded", .bool(true))]), status: .created)
        }
        api.post("sessions/{session}/relabel") { request, context -> Response in
            let user = try await self.bearer(request)
            let body = try await request.jsonObject(allowed: ["label", "person"], limit: limit)
            let person = try body.required("person", expected: "a roster id, or unknown").text()
            let (affected, recorded) = try await self.settings.drafting.relabel(
                session: try context.pathID("session"),
                label: try body.required("label", expected: "the speaker label").string(),
                person: person == "unknown" ? nil : PersonID(person), store: self.store, as: user.id)
            return JSONResponse.make(Self.relabelled(affected, recorded))
        }
        api.get("risk-queue") { request, _ -> Response in
            let user = try await self.bearer(request)
            return JSONResponse.make(
                .array(
                    try await self.store.riskQueue(as: user.id).map { APIJSON.flag($0.flag, ageSeconds: $0.ageSeconds) }
                ))
        }
        api.post("risk-flags/{flag}/acknowledge") { request, context -> Response in
            let user = try await self.bearer(request)
            let body = try await request.jsonObject(allowed: ["comment"], limit: limit)
            try await self.store.acknowledge(
                flag: try context.parameters.require("flag", as: Int.self),
                comment: try body.required("comment", expected: "what was done").string(), as: user.id)
            return JSONResponse.make(.object([("acknowledged", .bool(true))]))
        }
        api.get("claims") { request, _ -> Response in
            let user = try await self.bearer(request)
            let status = request.uri.queryParameters.get("status")
            if let status, !Self.claimStatuses.contains(status) {
                throw APIError(.badRequest, "status must be one of \(Self.claimStatuses.joined(separator: ", "))")
            }
            return JSONResponse.make(
                .array(
                    try await self.store.claims(
                        session: request.uri.queryParameters.get("session"), status: status, as: user.id
                    ).map(APIJSON.claim)))
        }
        api.get("audit/verify") { request, _ -> Response in
            let user = try await self.bearer(request)
            return JSONResponse.make(APIJSON.audit(try await self.store.verifyAudit(as: user.id)))
        }
        api.get("audit/export") { request, _ -> Response in
            let user = try await self.bearer(request)
            let lines = try await self.store.exportAudit(as: user.id)
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: lines.map { $0 + "\n" }.joined())))
        }
        api.get("metrics") { request, _ -> Response in
            let user = try await self.bearer(request)
            return JSONResponse.make(APIJSON.metrics(try await self.store.metrics(as: user.id)))
        }
    }

    static func decision(_ field: JSONField) throws -> SectionDecision {
        guard let decision = SectionDecision(rawValue: try field.string()) else {
            throw field.error(.invalidValue, "expected accepted or rejected")
        }
        return decision
    }

    static let claimStatuses = ClaimStatus.allCases.map(\.rawValue)

    static func note(_ context: BasicRequestContext) throws -> (session: String, attendee: PersonID) {
        (try context.pathID("session"), PersonID(try context.pathID("attendee")))
    }

    static func relabelled(_ affected: Set<PersonID>, _ recorded: RecordedRun) -> JSONNode {
        .object([
            ("run", .number(recorded.runID)),
            (
                "notes",
                .array(
                    affected.sorted { $0.rawValue < $1.rawValue }.compactMap { attendee in
                        recorded.notes[attendee].map {
                            .object([
                                ("attendee", .string(attendee.rawValue)), ("change", .string($0.change.rawValue)),
                                ("version", .number($0.version)),
                            ])
                        }
                    })
            ),
        ])
    }
}
