// How a C2 failure is told: the page C1 answers with, the stderr line, the code (failures.ts says what it means).

/**
 * The body of the answer uproxy writes for a failed exchange: the status line and what
 * happened in one sentence. The backend's address and the error stay on stderr: a client
 * must not learn the network behind the proxy (nginx's error pages name nothing either).
 */
export function gatewayPage(status: 502 | 504): string {
  const what = status === 504 ? 'The backend server did not answer in time.' : 'The backend server could not be reached, or failed before answering.'
  return `${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\n${what}\n`
}

/** The error's code and message on one line, for stderr. */
export function describeError(err: Error): string {
  const code = errorCode(err)
  const message = err.message.replace(/\s+/g, ' ')
  return code && !message.includes(code) ? `${code} ${message}` : message
}

/** The error's code, or its cause's (undici wraps socket errors), or ''. */
export function errorCode(err: Error): string {
  const { code, cause } = err as { code?: unknown; cause?: { code?: unknown } }
  if (typeof code === 'string') return code
  return typeof cause?.code === 'string' ? cause.code : ''
}
