import Foundation
import NIOConcurrencyHelpers

/// Failed-login throttling per account name and per client address, whether or not the account exists (so the
/// answer never tells them apart).
///
/// Per account: the first `freeFailures` failures cost nothing; after that each attempt must wait
/// 2^(failures − freeFailures) s (at most `maximumDelay`) after the last failure, and at most
/// `maximumPerHour` failures count in any hour — past that the account is locked until the hour has passed.
/// Per address: at most `maximumPerAddressPerMinute` failures a minute.
public final class LoginLimiter: Sendable {
    public struct Policy: Sendable, Hashable {
        public var freeFailures = 5
        public var maximumDelay: Double = 60
        public var maximumPerHour = 100
        public var maximumPerAddressPerMinute = 30

        public init() {}
    }

    private struct Record {
        var failures: [Double] = []
        var consecutive = 0
    }

    public let policy: Policy
    private let state = NIOLockedValueBox<(accounts: [String: Record], addresses: [String: Record])>(([:], [:]))

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Seconds to wait before an attempt for this account from this address may be checked, or nil if it may now.
    public func delay(account: String, address: String, at now: Date) -> Double? {
        let time = now.timeIntervalSince1970
        return state.withLockedValue { state -> Double? in
            var wait = 0.0
            if let record = state.accounts[account] {
                let recent = record.failures.filter { $0 > time - 3600 }
                if recent.count >= policy.maximumPerHour, let oldest = recent.first { wait = max(wait, oldest + 3600 - time) }
                if record.consecutive >= policy.freeFailures, let last = record.failures.last {
                    let backoff = min(policy.maximumDelay, pow(2, Double(record.consecutive - policy.freeFailures)))
                    wait = max(wait, last + backoff - time)
                }
            }
            if let record = state.addresses[address] {
                let recent = record.failures.filter { $0 > time - 60 }
                if recent.count >= policy.maximumPerAddressPerMinute, let oldest = recent.first { wait = max(wait, oldest + 60 - time) }
            }
            return wait > 0 ? wait : nil
        }
    }

    public func recordFailure(account: String, address: String, at now: Date) {
        let time = now.timeIntervalSince1970
        state.withLockedValue { state in
            var record = state.accounts[account, default: Record()]
            record.failures = record.failures.filter { $0 > time - 3600 } + [time]
            record.consecutive += 1
            state.accounts[account] = record
            var byAddress = state.addresses[address, default: Record()]
            byAddress.failures = byAddress.failures.filter { $0 > time - 60 } + [time]
            state.addresses[address] = byAddress
            // Names and addresses an attacker makes up must not grow memory without bound.
            if state.accounts.count > 50_000 { state.accounts = state.accounts.filter { $0.value.failures.last ?? 0 > time - 3600 } }
            if state.addresses.count > 50_000 { state.addresses = state.addresses.filter { $0.value.failures.last ?? 0 > time - 60 } }
        }
    }

    /// A successful login clears the account's consecutive count (the hourly cap still counts its failures).
    public func recordSuccess(account: String) {
        state.withLockedValue { $0.accounts[account]?.consecutive = 0 }
    }
}
