// round-robin: each backend in turn, in proportion to its weight, spread out (nginx's smooth weighted round-robin).
import type { BalancePolicy, Peer } from './policy.js'

/**
 * nginx's smooth weighted round-robin (ngx_http_upstream_get_peer): every pick adds each
 * eligible peer's weight to its running score, takes the highest, and takes the total off
 * the winner. Weights 5,1,1 give a a b a c a a, never a a a a a b c; equal weights give
 * an exact cycle. A peer that is not eligible sits out and keeps its score.
 */
export class RoundRobin implements BalancePolicy {
  private readonly current: number[]

  constructor(private readonly peers: readonly Peer[]) {
    this.current = peers.map(() => 0)
  }

  pick(eligible: (i: number) => boolean): number {
    const { peers, current } = this
    let best = -1
    let total = 0
    for (let i = 0; i < peers.length; i++) {
      if (!eligible(i)) continue
      const weight = (peers[i] as Peer).weight
      current[i] = (current[i] as number) + weight
      total += weight
      if (best < 0 || (current[i] as number) > (current[best] as number)) best = i
    }
    if (best >= 0) current[best] = (current[best] as number) - total
    return best
  }
}
