import EnsembleIO
import EnsembleSystem
import Foundation
import Testing

@testable import EnsembleServer

@Suite("Signatures and hashes")
struct SignatureTests {
    @Test("SHA-256 and HMAC-SHA256 match the published test vectors")
    func vectors() {
        // FIPS 180-2 and RFC 4231, test cases 1 and 2.
        #expect(
            Hashing.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hashing.hmacSHA256Hex(key: Array(repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            Hashing.hmacSHA256Hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("a webhook signature is HMAC-SHA256 of TIMESTAMP.BODY; upper-case hex is accepted, any other change is not")
    func webhookSignature() {
        let secret = Array("shared-secret-0123456789".utf8)
        let body = Array("{\"eventId\":\"e1\"}".utf8)
        let signature = WebhookVerifier.signature(secret: secret, timestamp: "1796000000", body: body)
        #expect(signature == Hashing.hmacSHA256Hex(key: secret, message: Array("1796000000.{\"eventId\":\"e1\"}".utf8)))
        let verifier = WebhookVerifier(sources: [WebhookSource(name: "ehr", user: "intake", secret: secret)])
        let now = Date(timeIntervalSince1970: 1_796_000_010)
        /// The refusal, or nil when the delivery is accepted as the intake user's.
        func refusal(_ header: String, timestamp: String = "1796000000") -> WebhookVerifier.Refusal? {
            switch verifier.verify(source: "ehr", timestamp: timestamp, signature: header, body: body, now: now) {
            case .success(let source): source.user == "intake" ? nil : .unknownSource
            case .failure(let refusal): refusal
            }
        }
        #expect(refusal("sha256=" + signature) == nil)
        #expect(refusal("SHA256=" + signature.uppercased()) == nil)
        #expect(refusal(signature) == .badSignature)
        #expect(refusal("sha256=" + signature, timestamp: "1796000001") == .badSignature)
        #expect(refusal("sha256=" + signature, timestamp: "17960e5") == .malformedTimestamp)
        #expect(refusal("sha256=" + signature, timestamp: "1795999000") == .stale(seconds: 1010))
        #expect(!Hashing.constantTimeEqual("abc", "abd") && !Hashing.constantTimeEqual("abc", "abcd"))
        #expect(Hashing.constantTimeEqual("abc", "abc"))
        #expect(Hashing.randomHex(bytes: 32).count == 64 && Hashing.randomHex(bytes: 8) != Hashing.randomHex(bytes: 8))
    }
}
