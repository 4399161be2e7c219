/**
 * What the engine asks of a target. Actions are plain data, fully rendered
 * (no templates left); a provider turns them into effects. Every provider
 * answers `isDone` first, so re-running or resuming a step never repeats an
 * effect that is already in place.
 */

import type { PlannedHost, Slot } from './plan.js';
import type { LogStream } from './run.js';
import type { HealthCheckConfig } from './schema.js';

export interface TargetContext {
  environment: string;
  service: string;
  host: PlannedHost;
  /** Directory relative artifact paths and `project` cwd resolve against. */
  projectDir: string;
}

export interface ProcessSpec {
  command: string;
  port: number | null;
  env: Record<string, string>;
  stopTimeoutMs: number;
  version: string;
  /** The slot (blue-green, canary) the process runs in: its own link, pid file and log. */
  slot?: Slot;
  /**
   * How long the process must stay alive after it started before the start counts as done; 0 when
   * a health step follows (that step watches the process, and settles after its checks pass).
   */
  settleMs?: number;
}

/** A health step of a service that runs a process: its checks count only while that process lives. */
export interface WatchSpec {
  /** After the checks pass, the process must stay alive this long. */
  settleMs: number;
  /** The port the process was given, if any. */
  port: number | null;
}

export type { Slot } from './plan.js';

export type Action =
  /** Copy an artifact directory into releases/<version>. */
  | { kind: 'upload'; version: string; source: string }
  /**
   * Run a shell command; cwd is the release directory when the service ships one (`inRelease`)
   * and it exists, otherwise the project directory.
   */
  | { kind: 'exec'; command: string; version: string; env: Record<string, string>; inRelease: boolean }
  /** Point `current` (or `current-<slot>`) at releases/<version> atomically; keep the newest `keep` releases. */
  | { kind: 'switch'; version: string; keep: number; slot?: Slot }
  /**
   * (Re)start the service process from `current`. `restart` (a forced deploy): start anew even when
   * the process already runs this version.
   */
  | { kind: 'start'; process: ProcessSpec; restart?: boolean }
  /**
   * Probe until healthy or out of attempts (command checks run in the slot's release when given).
   * `watch`: the service runs a process that must be alive for the checks to count.
   */
  | {
      kind: 'health';
      checks: HealthCheckConfig[];
      env: Record<string, string>;
      slot?: Slot;
      watch?: WatchSpec;
    }
  /** Return the target (or one slot of it) to `version` (null: to nothing): switch back, restart or stop. */
  | { kind: 'restore'; version: string | null; keep: number; process: ProcessSpec | null; slot?: Slot };

export type ActionKind = Action['kind'];

/** The I/O a step is given: its cancellation signal and its log. */
export interface StepIO {
  signal: AbortSignal;
  log(line: string, stream?: LogStream): void;
}

/** What `status --probe` asks about a target: the service's process, if it runs one. */
export interface InspectSpec {
  /** Whether the service runs a process (`start:`), its port, its slot. */
  process: { port: number | null; slot?: Slot } | null;
}

/** A process found on a target, with the version it was started as (when known). */
export interface FoundProcess {
  pid: number;
  version: string | null;
}

/** What really is on a target, as opposed to what the store recorded. */
export interface TargetInspection {
  /** The version `current` links to; null when nothing is linked. */
  current: string | null;
  /** The process the pid file names (absent when none is recorded), and whether it lives. */
  recorded: { pid: number; version: string | null; alive: boolean } | null;
  /** Live processes of the service that no pid file names. */
  strays: FoundProcess[];
  /**
   * Who listens on the service's port: `ours` when it is the recorded process (its group);
   * null when nobody does or the service has no port.
   */
  listener: { pid: number | null; command: string | null; version: string | null; ours: boolean } | null;
}

export interface Provider {
  readonly name: string;
  /** Status first: true when the action's effect is already in place. */
  isDone(action: Action, target: TargetContext, io: StepIO): Promise<boolean>;
  /** Carries the action out; throws a MarshalError when it fails. */
  apply(action: Action, target: TargetContext, io: StepIO): Promise<void>;
  /** Releases connections and other resources held for the run. */
  close(): Promise<void>;
  /** Read-only: what runs on the target (`marshal status --probe`). Absent: the provider cannot tell. */
  inspect?(target: TargetContext, spec: InspectSpec, io: StepIO): Promise<TargetInspection>;
}

export type ProviderRegistry = (name: string) => Provider;
