// The one error type for bad user input (CLI flags, config file, API options).

/** A user error: its message names the argument and the fix; the CLI exits 2 on it. */
export class ConfigError extends Error {
  readonly code = 'UPROXY_BAD_CONFIG'
}
