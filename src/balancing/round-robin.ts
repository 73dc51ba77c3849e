// round-robin: each backend in turn, in proportion to its weight, spread out (nginx's smooth weighted round-robin).
import type { BalancePolicy } from './balance-policy.js'
import type { Member } from './member.js'

/**
 * nginx's smooth weighted round-robin (ngx_http_upstream_get_peer): every pick adds each
 * eligible member's weight to its running score, takes the highest, and takes the total off
 * the winner. Weights 5,1,1 give a a b a c a a, never a a a a a b c; equal weights give
 * an exact cycle. A member that is not eligible sits out and keeps its score.
 */
export class RoundRobin implements BalancePolicy {
  private readonly current: number[]

  constructor(private readonly members: readonly Member[]) {
    this.current = members.map(() => 0)
  }

  pick(eligible: (i: number) => boolean): number {
    const { members, current } = this
    let best = -1
    let total = 0
    for (let i = 0; i < members.length; i++) {
      if (!eligible(i)) continue
      const weight = (members[i] as Member).backend.weight
      current[i] = (current[i] as number) + weight
      total += weight
      if (best < 0 || (current[i] as number) > (current[best] as number)) best = i
    }
    if (best >= 0) current[best] = (current[best] as number) - total
    return best
  }
}
