// least-connections: the backend with the fewest exchanges open per unit of weight.
import type { BalancePolicy } from './balance-policy.js'
import type { Member } from './member.js'

/**
 * The fewest in-flight exchanges divided by weight wins (nginx's least_conn). Ties go round
 * the members from where the last pick stopped, so an idle pool is still shared evenly.
 */
export class LeastConnections implements BalancePolicy {
  private next = 0

  constructor(private readonly members: readonly Member[]) {}

  pick(eligible: (i: number) => boolean): number {
    const { members } = this
    const n = members.length
    let best = -1
    let bestScore = Infinity
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n
      if (!eligible(i)) continue
      const member = members[i] as Member
      const score = member.load.inFlight / member.backend.weight
      if (score < bestScore) {
        best = i
        bestScore = score
      }
    }
    if (best >= 0) this.next = (best + 1) % n
    return best
  }
}
