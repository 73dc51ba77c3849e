// The balancing policies by name: checking a name, and making the policy it names.
import { ConfigError } from '../config/config-error.js'
import type { BalancePolicy } from './balance-policy.js'
import { IpHash } from './ip-hash.js'
import { LeastConnections } from './least-connections.js'
import { RoundRobin } from './round-robin.js'
import { TwoRandomChoices } from './two-random-choices.js'
import type { Member } from './member.js'

/** The policies a route's `balance` may name. */
export const POLICY_NAMES = ['round-robin', 'least-connections', 'ip-hash', 'two-random-choices'] as const
/** One of POLICY_NAMES. */
export type PolicyName = (typeof POLICY_NAMES)[number]

/** Checks a policy name; `what` names the argument in the error message. */
export function parsePolicyName(value: unknown, what: string): PolicyName {
  if ((POLICY_NAMES as readonly unknown[]).includes(value)) return value as PolicyName
  throw new ConfigError(`${what}: ${JSON.stringify(value)} is not a policy (want ${POLICY_NAMES.join(', ')})`)
}

/** A fresh policy over `members`; `random` (default Math.random) drives two-random-choices. */
export function createPolicy(name: PolicyName, members: readonly Member[], random: () => number = Math.random): BalancePolicy {
  switch (name) {
    case 'round-robin': return new RoundRobin(members)
    case 'least-connections': return new LeastConnections(members)
    case 'ip-hash': return new IpHash(members)
    case 'two-random-choices': return new TwoRandomChoices(members, random)
  }
}
