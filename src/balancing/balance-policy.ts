// What every balancing policy is: a choice of one member of a group, by index.

/**
 * Chooses the member for one exchange among the group's members it was made with.
 * `eligible(i)` says whether member i may be chosen (it is up and was not tried already
 * for this exchange); -1 means none is eligible.
 */
export interface BalancePolicy {
  pick(eligible: (i: number) => boolean, clientAddress: string): number
}
