/**
 * The command router: any other load balancer, driven by a shell command that
 * receives the backends as JSON in MARSHAL_BACKENDS. Its exit status is the
 * only verification: the command is expected to apply and check the change
 * itself.
 */
import { monotonicMs } from '../../model/clock.js';
import type { StepIO } from '../../model/provider.js';
import type { Backend, Router } from '../../model/traffic.js';
import { abortError, describeBackends, providerError, serialize } from './common.js';
import { howItEnded, runArgv } from './run.js';

export interface CommandRouterOptions {
  /** Shell command, run with /bin/sh -c. */
  run: string;
  /** Its working directory: the project's directory. */
  cwd: string;
}

/** The environment the command gets on top of Marshal's own. */
export function commandEnv(backends: readonly Backend[]): Record<string, string> {
  const plain = backends.map(({ name, address, port, weight }) => ({ name, address, port, weight }));
  return { MARSHAL_BACKENDS: JSON.stringify(plain) };
}

export class CommandRouter implements Router {
  private readonly queue = serialize();

  constructor(private readonly options: CommandRouterOptions) {}

  apply(backends: readonly Backend[], io: StepIO): Promise<void> {
    return this.queue(() => this.run(backends, io));
  }

  /** A command cannot be asked what it serves. */
  async current(): Promise<Backend[] | null> {
    return null;
  }

  private async run(backends: readonly Backend[], io: StepIO): Promise<void> {
    if (io.signal.aborted) throw abortError(io.signal);
    const started = monotonicMs();
    const result = await runArgv(['/bin/sh', '-c', this.options.run], {
      cwd: this.options.cwd,
      env: commandEnv(backends),
      signal: io.signal,
      onLine: (line, stream) => io.log(line, stream),
    });
    const ms = Math.round(monotonicMs() - started);
    if (result.exitCode !== 0) {
      const tail = result.stderr.at(-1);
      throw providerError(
        `command router: \`${this.options.run}\` ${howItEnded(result)}${tail === undefined ? '' : ` — ${tail}`}`,
      );
    }
    io.log(`command: ${describeBackends(backends)}; \`${this.options.run}\` succeeded in ${ms} ms`, 'info');
  }
}
