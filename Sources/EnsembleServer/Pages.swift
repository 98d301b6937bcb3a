import EnsembleCore
import EnsembleIO
import EnsembleService
import EnsembleStore
import EnsembleSystem
import Foundation
import Hummingbird

/// The review pages: server-rendered HTML with one stylesheet and one small script, no build step.
/// Every form post carries the signed-in browser's CSRF token.
extension EnsembleServer {
    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/assets/app.css") { _, _ in Pages.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Pages.asset(Assets.js, type: "text/javascript; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }

        router.get("/login") { _, _ -> Response in
            let nonce = Hashing.randomHex(bytes: 16)
            var response = Pages.html(Pages.login(nonce: nonce, failed: false))
            response.headers[.setCookie] = self.cookie("ensemble_login", nonce, path: "/login")
            return response
        }
        router.post("/login") { request, _ -> Response in
            let form = try await request.form(limit: 16 << 10)
            guard let nonce = request.cookie("ensemble_login"), let sent = form["csrf"],
                Hashing.constantTimeEqual(nonce, sent)
            else { throw APIError(.forbidden, "the sign-in form's CSRF token is missing or stale; reload the page") }
            let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let lifetime = self.settings.sessionLifetime
            guard !token.isEmpty, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                let session = try await self.store.startBrowserSession(token: token, lifetime: lifetime)
            else {
                let fresh = Hashing.randomHex(bytes: 16)
                var response = Pages.html(Pages.login(nonce: fresh, failed: true), status: .unauthorized)
                response.headers[.setCookie] = self.cookie("ensemble_login", fresh, path: "/login")
                return response
            }
            // The cookie carries the browser session's own id, never the token.
            var response = Pages.redirect("/")
            response.headers[.setCookie] = self.cookie(
                Self.cookieName, session, maxAge: Int(lifetime.components.seconds))
            return response
        }
        router.post("/logout") { request, _ -> Response in
            _ = try await self.formPost(request)
            if let session = request.cookie(Self.cookieName) { try await self.store.endBrowserSession(session) }
            var response = Pages.redirect("/login")
            response.headers[.setCookie] = self.cookie(Self.cookieName, "", maxAge: 0)
            return response
        }

        router.get("/") { request, _ -> Response in
            let page = try await self.page(request, title: "Sessions")
            let user = page.user
            let sessions = Policy.permits(user.role, .viewNote) ? try await self.store.sessions(as: user.id) : []
            let jobs = Policy.permits(user.role, .draftSession) ? try await self.store.jobs(limit: 20, as: user.id) : []
            return Pages.html(page.render(Pages.home(user: user, sessions: sessions, jobs: jobs)))
        }

        router.get("/sessions/{session}") { request, context -> Response in
            var page = try await self.page(request, title: "Session")
            let review = try await self.store.review(
                session: try context.pathID("session"), as: page.user.id)
            page.title = review.session.title ?? review.session.id.rawValue
            let done = request.uri.queryParameters.get("done").flatMap(Pages.Notice.init(rawValue:))
            return Pages.html(page.render(Pages.session(review, page: page, notice: done)))
        }

        router.post("/sessions/{session}/notes/{attendee}/edit") { request, context -> Response in
            let (user, form) = try await self.formPost(request)
            let (session, attendee) = try Self.note(context)
            _ = try await self.store.editSection(
                session: session, attendee: attendee, section: try Pages.field(form, "section"),
                text: try Pages.field(form, "text"), baseVersion: try Pages.number(form, "version"), as: user.id)
            return Pages.redirect(Pages.sessionPath(session, done: .edited, attendee: attendee))
        }
        router.post("/sessions/{session}/notes/{attendee}/decision") { request, context -> Response in
            let (user, form) = try await self.formPost(request)
            let (session, attendee) = try Self.note(context)
            guard let decision = SectionDecision(rawValue: try Pages.field(form, "decision")) else {
                throw APIError(.badRequest, "decision must be accepted or rejected")
            }
            try await self.store.reviewSection(
                session: session, attendee: attendee, section: try Pages.field(form, "section"), decision: decision,
                version: try Pages.number(form, "version"), as: user.id)
            return Pages.redirect(
                Pages.sessionPath(session, done: decision == .accepted ? .accepted : .rejected, attendee: attendee))
        }
        router.post("/sessions/{session}/notes/{attendee}/sign") { request, context -> Response in
            let (user, form) = try await self.formPost(request)
            let (session, attendee) = try Self.note(context)
            _ = try await self.store.sign(
                session: session, attendee: attendee, version: try Pages.number(form, "version"), as: user.id)
            await self.queuePushes()
            return Pages.redirect(Pages.sessionPath(session, done: .signed, attendee: attendee))
        }
        router.post("/sessions/{session}/notes/{attendee}/cosign") { request, context -> Response in
            let (user, _) = try await self.formPost(request)
            let (session, attendee) = try Self.note(context)
            try await self.store.cosign(session: session, attendee: attendee, as: user.id)
            await self.queuePushes()
            return Pages.redirect(Pages.sessionPath(session, done: .signed, attendee: attendee))
        }
        router.post("/sessions/{session}/notes/{attendee}/addendum") { request, context -> Response in
            let (user, form) = try await self.formPost(request)
            let (session, attendee) = try Self.note(context)
            try await self.store.addendum(
                session: session, attendee: attendee, text: try Pages.field(form, "text"), as: user.id)
            await self.queuePushes()
            return Pages.redirect(Pages.sessionPath(session, done: .addendum, attendee: attendee))
        }
        router.post("/sessions/{session}/relabel") { request, context -> Response in
            let (user, form) = try await self.formPost(request)
            let session = try context.pathID("session")
            let person = try Pages.field(form, "person")
            _ = try await self.settings.drafting.relabel(
                session: session, label: try Pages.field(form, "label"),
                person: person == "unknown" ? nil : PersonID(person), store: self.store, as: user.id)
            return Pages.redirect(Pages.sessionPath(session, done: .relabelled))
        }
        router.post("/risk/{flag}/acknowledge") { request, context -> Response in
            let (user, form) = try await self.formPost(request)
            try await self.store.acknowledge(
                flag: try context.parameters.require("flag", as: Int.self), comment: form["comment"] ?? "", as: user.id)
            if let session = form["session"], !session.isEmpty {
                return Pages.redirect(Pages.sessionPath(session, done: .acknowledged))
            }
            return Pages.redirect("/risk?done=acknowledged")
        }

        router.get("/risk") { request, _ -> Response in
            let page = try await self.page(request, title: "Risk queue")
            return Pages.html(
                page.render(Pages.riskQueue(try await self.store.riskQueue(as: page.user.id), page: page)))
        }
        router.get("/billing") { request, _ -> Response in
            let page = try await self.page(request, title: "Billing")
            return Pages.html(page.render(Pages.billing(try await self.store.claims(as: page.user.id))))
        }
    }
}

/// A page's frame: who is signed in, their navigation, and the CSRF token its forms carry.
struct Page {
    var user: User
    var csrf: String
    var title: String

    func form(_ action: String, _ body: String, class name: String = "inline") -> String {
        "<form method=\"post\" action=\"\(h(action))\" class=\"\(name)\"><input type=\"hidden\" name=\"csrf\" value=\"\(self.csrf)\">\(body)</form>"
    }

    func render(_ main: String) -> String {
        var nav: [String] = []
        if Policy.permits(self.user.role, .viewNote) { nav.append("<a href=\"/\">Sessions</a>") }
        if Policy.permits(self.user.role, .viewRiskQueue) { nav.append("<a href=\"/risk\">Risk queue</a>") }
        if Policy.permits(self.user.role, .viewClaims) { nav.append("<a href=\"/billing\">Billing</a>") }
        let header = """
            <header class="top"><a class="brand" href="/">Ensemble</a><nav>\(nav.joined())</nav>\
            <span class="who">\(h(self.user.name)) · \(h(self.user.role.rawValue))</span>\
            \(self.form("/logout", "<button class=\"link\" type=\"submit\">Sign out</button>"))</header>
            """
        return Pages.document(title: self.title, body: header + "<main>" + main + "</main>")
    }
}

/// HTML-escapes text for element content and quoted attributes.
func h(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}

enum Pages {
    enum Notice: String {
        case edited, accepted, rejected, signed, relabelled, acknowledged, addendum

        var text: String {
            switch self {
            case .edited: "Section saved as a new version."
            case .accepted: "Section accepted."
            case .rejected: "Section rejected; edit it before signing."
            case .signed: "Note signed and locked."
            case .relabelled: "Speaker relabelled; the affected notes were drafted again."
            case .acknowledged: "Risk flag acknowledged."
            case .addendum: "Addendum added; the signed note is unchanged."
            }
        }
    }

    static func sessionPath(_ session: String, done: Notice, attendee: PersonID? = nil) -> String {
        "/sessions/\(Self.segment(session))?done=\(done.rawValue)"
            + (attendee.map { "#note-\(Self.segment($0.rawValue))" } ?? "")
    }

    /// An id as one path segment (or fragment): everything but ASCII letters, digits and `-._~`
    /// percent-encoded, so ids with spaces, `/`, `%`, `?`, `#` or any Unicode reach their page. The routes
    /// decode it again (`RequestContext.pathID`).
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: self.unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func field(_ form: [String: String], _ name: String) throws -> String {
        guard let value = form[name], !value.isEmpty else { throw APIError(.badRequest, "the form has no \(name)") }
        return value
    }

    static func number(_ form: [String: String], _ name: String) throws -> Int {
        guard let value = Int(try self.field(form, name)) else {
            throw APIError(.badRequest, "the form's \(name) must be a whole number")
        }
        return value
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(h(title)) · Ensemble</title><link rel="stylesheet" href="/assets/app.css">
        <script src="/assets/app.js" defer></script></head><body>\(body)</body></html>
        """
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, request: Request) -> Response {
        if status == .unauthorized, request.method == .get { return self.redirect("/login") }
        let parts = request.uri.path.split(separator: "/")
        let back = parts.count >= 2 && parts[0] == "sessions" ? "/sessions/\(parts[1])" : "/"
        let body = """
            <main class="narrow"><h1>\(status.code) · \(h(status.reasonPhrase))</h1><p class="error" role="alert">\(h(message))</p>
            <p><a href="\(h(back))">Back</a></p></main>
            """
        return self.html(self.document(title: "\(status.code)", body: body), status: status)
    }

    static func login(nonce: String, failed: Bool) -> String {
        let problem =
            failed ? "<p class=\"error\" role=\"alert\">That token is unknown or its user is inactive.</p>" : ""
        return self.document(
            title: "Sign in",
            body: """
                <main class="narrow"><h1>Ensemble</h1><p>Sign in with the token your administrator issued \
                (<code>ensemble users token</code>).</p>\(problem)
                <form method="post" action="/login" class="stack"><input type="hidden" name="csrf" value="\(nonce)">
                <label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="off" required autofocus>
                <button type="submit">Sign in</button></form></main>
                """)
    }

    // MARK: - Home

    static func home(user: User, sessions: [SessionSummary], jobs: [Job]) -> String {
        var out = "<h1>Sessions</h1>"
        if !Policy.permits(user.role, .viewNote) {
            out += "<p>Your role sees no notes. Use the links above.</p>"
        } else if sessions.isEmpty {
            out += "<p>No sessions yet. The EHR's session-completed webhook queues them for drafting.</p>"
        } else {
            out +=
                "<table><thead><tr><th>Session</th><th>Kind</th><th>Attendees</th><th>Notes</th><th>Risk</th><th>Drafted</th></tr></thead><tbody>"
            for session in sessions {
                let risk =
                    session.openFlags > 0
                    ? "<span class=\"badge urgent\">\(session.openFlags) waiting for a supervisor</span>" : "—"
                out += """
                    <tr><td><a href="/sessions/\(Self.segment(session.id))">\(h(session.title ?? session.id))</a><br><small>\(h(session.id))</small></td>\
                    <td>\(h(session.kind))</td><td>\(session.attendees)</td>\
                    <td>\(session.signedNotes) signed, \(session.draftNotes) to review</td><td>\(risk)</td><td>\(h(Self.day(session.created)))</td></tr>
                    """
            }
            out += "</tbody></table>"
        }
        if !jobs.isEmpty {
            out +=
                "<h2>Drafting jobs</h2><table class=\"jobs\"><thead><tr><th>Job</th><th>Session</th><th>State</th><th>Attempts</th><th>Progress or error</th></tr></thead><tbody>"
            for job in jobs {
                out += """
                    <tr data-job="\(h(job.id))" data-state="\(job.state.rawValue)"><td><code>\(h(job.id))</code></td>\
                    <td>\(h(job.session))</td><td><span class="badge \(job.state.rawValue)">\(job.state.rawValue)</span></td>\
                    <td class="attempts">\(job.attempts)/\(job.maxAttempts)</td><td class="stage">\(h(job.error ?? ""))</td></tr>
                    """
            }
            out += "</tbody></table>"
        }
        return out
    }

    static func day(_ timestamp: String) -> String {
        timestamp.count >= 16 ? String(timestamp.prefix(16)).replacingOccurrences(of: "T", with: " ") : timestamp
    }

    // MARK: - Risk and billing

    static func riskQueue(_ queue: [(flag: StoredFlag, ageSeconds: Double)], page: Page) -> String {
        var out = "<h1>Risk queue</h1>"
        if queue.isEmpty { return out + "<p>No flags are waiting for a supervisor.</p>" }
        out +=
            "<table><thead><tr><th>Level</th><th>Category</th><th>Session</th><th>Attendee</th><th>Waiting</th><th>Acknowledge</th></tr></thead><tbody>"
        for (flag, age) in queue {
            out += """
                <tr><td><span class="badge \(h(flag.level))">\(h(flag.level))</span></td><td>\(h(flag.category))</td>\
                <td><a href="/sessions/\(Self.segment(flag.session))">\(h(flag.session))</a></td><td>\(h(flag.attendee?.rawValue ?? "unknown"))</td>\
                <td>\(Self.age(age))</td><td>\(Self.acknowledgeForm(flag, page: page, session: nil))</td></tr>
                """
        }
        return out + "</tbody></table>"
    }

    static func acknowledgeForm(_ flag: StoredFlag, page: Page, session: String?) -> String {
        page.form(
            "/risk/\(flag.id)/acknowledge",
            """
            <input type="hidden" name="session" value="\(h(session ?? ""))">\
            <label class="sr" for="ack-\(flag.id)">What was done</label>\
            <input id="ack-\(flag.id)" name="comment" required placeholder="What was done (required)" size="34">\
            <button type="submit">Acknowledge</button>
            """)
    }

    static func age(_ seconds: Double) -> String {
        seconds < 3600
            ? "\(Int(seconds / 60)) min" : seconds < 86400 ? "\(Int(seconds / 3600)) h" : "\(Int(seconds / 86400)) d"
    }

    static func billing(_ claims: [StoredClaim]) -> String {
        var out = """
            <h1>Claims</h1><p>A claim is ready once its attendee's note is signed. A blocked claim needs data \
            (each reason names the field to fix); a claim that is not billable cannot be billed as drafted \
            (drop it, or bill the code offered instead once the note supports it).</p>
            """
        for status in EnsembleServer.claimStatuses {
            let group = claims.filter { $0.status == status }
            out +=
                "<section class=\"claims\" id=\"claims-\(status)\"><h2>\(Self.statusName(status)) <span class=\"count\">\(group.count)</span></h2>"
            if group.isEmpty {
                out += "<p class=\"muted\">None.</p></section>"
                continue
            }
            if status == ClaimStatus.blocked.rawValue {
                out += Self.workQueue(ClaimWorkQueue(stored: group, status: .blocked))
                out += "</section>"
                continue
            }
            out +=
                "<table><thead><tr><th>Claim</th><th>Session</th><th>Attendee</th><th>Codes</th><th>Charge</th><th>Notes for billing</th></tr></thead><tbody>"
            for claim in group {
                out += """
                    <tr data-claim="\(h(claim.claimID))" data-status="\(h(claim.status))"><td><code>\(h(claim.claimID))</code></td><td>\(h(claim.session))</td>\
                    <td>\(h(claim.attendee.rawValue))</td><td>\(h(claim.codes.joined(separator: " ")))</td>\
                    <td>$\(String(format: "%.2f", Double(claim.chargeCents) / 100))</td>\
                    <td>\(claim.reasons.map { h($0.message) }.joined(separator: "<br>"))</td></tr>
                    """
            }
            out += "</tbody></table></section>"
        }
        return out
    }

    /// Blocked claims grouped by what to fix, the fix that clears most first, as `ensemble claims
    /// --status blocked` prints them.
    static func workQueue(_ queue: ClaimWorkQueue) -> String {
        var out = "<p>\(queue.groups.count) fix(es) for \(queue.claims) claim(s), the one that clears most first.</p>"
        for group in queue.groups {
            let cleared =
                group.clearedAlone == group.items.count
                ? "all cleared by this fix" : "\(group.clearedAlone) cleared by this fix alone"
            out += """
                <div class="fix" data-code="\(h(group.code))"><h3>\(h(group.title)) \
                <span class="count">\(group.items.count)</span></h3><p class="muted"><code>\(h(group.code))</code> · \(cleared)\
                \(group.pattern.map { " · fix <code>\(h(group.file?.rawValue ?? ""))</code>: <code>\(h($0))</code>" } ?? "")</p>\
                <table><thead><tr><th>Claim</th><th>Session</th><th>Attendee</th><th>Field</th><th>Reason</th></tr></thead><tbody>
                """
            for item in group.items {
                out += """
                    <tr data-claim="\(h(item.entry.claimID))" data-status="blocked"><td><code>\(h(item.entry.claimID))</code></td>\
                    <td>\(h(item.entry.sessionID))</td><td>\(h(item.entry.attendee.rawValue))</td>\
                    <td>\(item.reason.fix.map { "<code>\(h($0.path))</code>" } ?? "")</td><td>\(h(item.reason.message))</td></tr>
                    """
            }
            out += "</tbody></table></div>"
        }
        return out
    }

    static func statusName(_ status: String) -> String {
        switch status {
        case "ready": "Ready to bill"
        case "pendingSignature": "Waiting for the note's signature"
        case "notBillable": "Not billable"
        default: "Blocked: what to fix"
        }
    }
}
