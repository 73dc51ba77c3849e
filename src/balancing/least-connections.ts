// least-connections: the backend with the fewest exchanges open per unit of weight.
import type { BalancePolicy, Peer } from './policy.js'

/**
 * The fewest in-flight exchanges divided by weight wins (nginx's least_conn). Ties go round
 * the peers from where the last pick stopped, so an idle pool is still shared evenly.
 */
export class LeastConnections implements BalancePolicy {
  private next = 0

  constructor(private readonly peers: readonly Peer[]) {}

  pick(eligible: (i: number) => boolean): number {
    const { peers } = this
    const n = peers.length
    let best = -1
    let bestScore = Infinity
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n
      if (!eligible(i)) continue
      const peer = peers[i] as Peer
      const score = peer.load.inFlight / peer.weight
      if (score < bestScore) {
        best = i
        bestScore = score
      }
    }
    if (best >= 0) this.next = (best + 1) % n
    return best
  }
}
