// The balancing policies by name, and what each one sees of the backends it chooses among.
import { ConfigError } from '../config/config-error.js'
import { IpHash } from './ip-hash.js'
import { LeastConnections } from './least-connections.js'
import { RoundRobin } from './round-robin.js'
import { TwoRandomChoices } from './two-random-choices.js'

/** One backend of a pool as a policy sees it. */
export interface Peer {
  /** stable name of the backend (its URL): ip-hash hashes it with the client address */
  readonly key: string
  /** relative share, 1-1000 */
  readonly weight: number
  /** exchanges open on the backend now, shared by every pool that names it */
  readonly load: { readonly inFlight: number }
}

/**
 * Chooses the backend for one exchange. `eligible(i)` says whether peer i may be chosen
 * (it is up and was not tried already for this exchange); -1 means none is eligible.
 */
export interface BalancePolicy {
  pick(eligible: (i: number) => boolean, clientAddress: string): number
}

export const POLICY_NAMES = ['round-robin', 'least-connections', 'ip-hash', 'two-random-choices'] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

/** Checks a policy name; `what` names the argument in the error message. */
export function parsePolicyName(value: unknown, what: string): PolicyName {
  if ((POLICY_NAMES as readonly unknown[]).includes(value)) return value as PolicyName
  throw new ConfigError(`${what}: ${JSON.stringify(value)} is not a policy (want ${POLICY_NAMES.join(', ')})`)
}

/** A fresh policy over `peers`; `random` (default Math.random) drives two-random-choices. */
export function createPolicy(name: PolicyName, peers: readonly Peer[], random: () => number = Math.random): BalancePolicy {
  switch (name) {
    case 'round-robin': return new RoundRobin(peers)
    case 'least-connections': return new LeastConnections(peers)
    case 'ip-hash': return new IpHash(peers)
    case 'two-random-choices': return new TwoRandomChoices(peers, random)
  }
}
