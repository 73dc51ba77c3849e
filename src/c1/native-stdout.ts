// Keeps uWS's native debug prints off stdout, where the ready line must come first.
import { closeSync, openSync } from 'node:fs'

/**
 * Runs `fn` with file descriptor 1 pointed at /dev/null. uWS 20.30's `app.domain(name)`
 * prints "finding NAME" and "Browsed to SNI: NAME" with std::cout, which would come before
 * the ready line, which must be the first stdout line (scripts and tests read the port from it). Node cannot dup2, so fd 1 is reopened
 * through /proc/self/fd (Linux). Anywhere that is not possible, `fn` simply runs as is.
 */
export function withoutNativeStdout<T>(fn: () => T): T {
  let saved: number
  try {
    // a second descriptor for whatever stdout is (pipe, tty, file); sockets refuse this (ENXIO)
    saved = openSync('/proc/self/fd/1', 'a')
  } catch {
    return fn()
  }
  closeSync(1)
  const silenced = openAsFd1('/dev/null')
  try {
    return fn()
  } finally {
    if (silenced) closeSync(1)
    openAsFd1(`/proc/self/fd/${saved}`)
    closeSync(saved)
  }
}

/** open() takes the lowest free descriptor: with fd 1 closed that is 1, unless 0 is free too. */
function openAsFd1(path: string): boolean {
  const below: number[] = []
  let fd = openSync(path, 'a')
  while (fd < 1) {
    below.push(fd)
    fd = openSync(path, 'a')
  }
  for (const each of below) closeSync(each)
  if (fd === 1) return true
  closeSync(fd)
  return false
}
