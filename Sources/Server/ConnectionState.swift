import Foundation
import LineProtocol
import Store

/// What one connection knows: who is logged in on it, and how it is doing before login.
struct ConnectionState: Sendable {
    enum Login: Sendable {
        case anonymous
        /// The password was right; the second factor is due (within the pre-auth idle limit).
        case awaitingTOTP(UserCredentials)
        case session(Session)
    }

    let id: ObjectIdentifier
    let address: String
    var login: Login = .anonymous
    /// Commands refused with `auth-required` so far; past the limit the connection is closed.
    var refusedBeforeAuth = 0
    var closeAfterReply = false
    /// Queues a pushed event on this connection (set by the connection; absent in unit tests without events).
    var deliver: (@Sendable (Reply) -> Void)?

    init(id: ObjectIdentifier, address: String) {
        self.id = id
        self.address = address
    }

    var session: Session? {
        if case .session(let session) = login { return session }
        return nil
    }
}
