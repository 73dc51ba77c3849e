// A pool of backends behind one route: its policy picks the member of each exchange, skipping the down ones.
import type { BalancePolicy } from './balance-policy.js'
import { createPolicy, type PolicyName } from './policy.js'
import type { Member } from './member.js'

/**
 * The members of a route (or of the default, or of a virtual host) and the policy that
 * chooses among them. A group of one is never balanced: `only` is that member.
 */
export class BackendGroup {
  /** the single member of a one-backend group, else undefined */
  readonly only: Member | undefined
  private readonly policy: BalancePolicy | undefined
  /** made once: the first pick of an exchange allocates nothing */
  private readonly isUp = (i: number) => (this.members[i] as Member).health.isUp()

  constructor(readonly members: readonly Member[], policy: PolicyName, random?: () => number) {
    this.only = members.length === 1 ? members[0] : undefined
    this.policy = this.only ? undefined : createPolicy(policy, members, random)
  }

  /** The member for a new exchange. When every backend is down, the least recently failed one. */
  pick(clientAddress: string): Member {
    if (this.only) return this.only
    const i = (this.policy as BalancePolicy).pick(this.isUp, clientAddress)
    return i >= 0 ? this.members[i] as Member : this.leastRecentlyFailed(() => true) as Member
  }

  /**
   * The member for another attempt of an exchange that failed on `tried`: an up one not tried
   * yet, else the least recently failed of those not tried, else undefined.
   */
  pickAgain(clientAddress: string, tried: readonly Member[]): Member | undefined {
    const untried = (member: Member) => !tried.includes(member)
    if (this.policy) {
      const i = this.policy.pick((i) => this.isUp(i) && untried(this.members[i] as Member), clientAddress)
      if (i >= 0) return this.members[i]
    }
    return this.leastRecentlyFailed(untried)
  }

  private leastRecentlyFailed(allowed: (member: Member) => boolean): Member | undefined {
    let best: Member | undefined
    for (const member of this.members) {
      if (allowed(member) && (!best || member.health.lastFailedAt < best.health.lastFailedAt)) best = member
    }
    return best
  }
}
