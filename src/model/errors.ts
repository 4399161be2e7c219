/**
 * One error base with stable codes. Every failure Marshal reports carries a
 * code from {@link ERROR_CODES}; the code decides the exit status and whether
 * the engine may retry. `INTERNAL` always means a bug in Marshal.
 */

export interface ErrorCodeInfo {
  /** Process exit status when this error ends a CLI command. */
  exit: number;
  /** Whether a step failing with this code may be retried by policy. */
  retryable: boolean;
  /** A default hint shown under the message. */
  hint?: string;
}

export const ERROR_CODES = {
  CONFIG_INVALID: {
    exit: 2,
    retryable: false,
    hint: 'fix the listed problems; `marshal validate` re-checks',
  },
  CONFIG_NOT_FOUND: { exit: 2, retryable: false, hint: 'run `marshal init` or pass -f <file>' },
  ARGUMENT_INVALID: { exit: 2, retryable: false, hint: 'see `marshal help <command>`' },
  NOT_FOUND: { exit: 2, retryable: false },
  STATE_CONFLICT: { exit: 2, retryable: false },
  LOCK_HELD: { exit: 4, retryable: false, hint: 'pass --wait to queue behind it' },
  RUN_UNFINISHED: {
    exit: 4,
    retryable: false,
    hint: 'finish it with `marshal resume <run>`, or stop it for good with `marshal cancel <run>`',
  },
  COMMAND_FAILED: { exit: 1, retryable: true },
  TIMEOUT: { exit: 1, retryable: true },
  HEALTH_CHECK_FAILED: { exit: 1, retryable: true },
  PROCESS_EXITED: {
    exit: 1,
    retryable: false,
    hint: 'its last output is in `marshal logs <run> --step <step>` and the service log on the host',
  },
  PORT_IN_USE: {
    exit: 1,
    retryable: false,
    hint: 'stop that process or give the service another port; Marshal never starts a service beside another listener',
  },
  ANALYSIS_FAILED: { exit: 1, retryable: false },
  PROVIDER_ERROR: { exit: 1, retryable: true },
  RUN_FAILED: { exit: 1, retryable: false },
  ROLLBACK_FAILED: {
    exit: 3,
    retryable: false,
    hint: 'inspect with `marshal show <run>`; fix, then `marshal rollback`',
  },
  CANCELLED: { exit: 130, retryable: false, hint: 'the run is resumable: `marshal resume <run>`' },
  STORE_ERROR: { exit: 1, retryable: false },
  AUDIT_FAILED: {
    exit: 1,
    retryable: false,
    hint: 'restore the store from a backup; `marshal audit verify --json` shows the first bad event',
  },
  INTERNAL: {
    exit: 70,
    retryable: false,
    hint: 'this is a bug in Marshal; please report it with --verbose output',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface MarshalErrorOptions {
  hint?: string;
  retryable?: boolean;
  /** Extra machine-readable facts (exit status of a command, problems list…). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class MarshalError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: MarshalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MarshalError';
    this.code = code;
    const info: ErrorCodeInfo = ERROR_CODES[code];
    this.hint = options.hint ?? info.hint;
    this.retryable = options.retryable ?? info.retryable;
    this.details = options.details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** The plain-data form kept in events and printed with --json. */
  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, message: this.message };
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** Wraps anything thrown into a MarshalError; unknown throwables are bugs. */
export function toMarshalError(err: unknown, fallback: ErrorCode = 'INTERNAL'): MarshalError {
  if (err instanceof MarshalError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MarshalError(fallback, message, { cause: err });
}

export function isCancellation(err: unknown): boolean {
  return (
    (err instanceof MarshalError && err.code === 'CANCELLED') ||
    (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'))
  );
}
