/**
 * A plan is data: everything a run needs, fixed when the run is created, so
 * that a resumed run does exactly what was planned even if marshal.yaml has
 * changed since. The step graph is derived from it (plan/graph.ts).
 */
import type { HealthCheckConfig, StartConfig } from './schema.js';
import type { AnalysisConfig, RouterConfig } from './schema-delivery.js';

export const PLAN_FORMAT = 1;

/** One of the two side-by-side instances of a service on a host (blue-green, canary). */
export type Slot = 'blue' | 'green';

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  factor: number;
  maxBackoffMs: number;
  /** Error codes or `exit:N` that fail at once. */
  nonRetryable: string[];
}

/** How to reach a host over SSH, resolved from `defaults.ssh`, the environment's `ssh` and the host. */
export interface SshTarget {
  port: number;
  /** null: the local user. */
  user: string | null;
  /** Absolute path of the private key; null: use the SSH agent. */
  identityFile: string | null;
  /** Absolute path of the known_hosts file; null: `~/.ssh/known_hosts`. */
  knownHostsFile: string | null;
  jump: { address: string; port: number; user: string | null } | null;
  connectTimeoutMs: number;
  keepaliveMs: number;
}

export interface PlannedHost {
  name: string;
  /** Where to reach the host: its configured address, else its name (ssh) or 127.0.0.1 (local). */
  address: string;
  /** Deploy root: absolute for local hosts; for ssh hosts, remote (relative means: in the user's home). */
  root: string;
  vars: Record<string, string>;
  /** Set for hosts of ssh services. */
  ssh: SshTarget | null;
}

export interface PlannedTarget {
  host: PlannedHost;
  /** Version live on the target before this run; null when nothing was deployed. */
  from: string | null;
}

interface PhaseBase {
  /** Unique within the service: `upload`, `run:migrate`, `switch`, `start`, `health`, `restore`. */
  id: string;
  timeoutMs: number;
  retry: RetryPolicy;
  /** True when running the phase changes what is live on the target (rollback must undo it). */
  mutating: boolean;
}

export type Phase =
  | (PhaseBase & { kind: 'upload'; source: string })
  | (PhaseBase & { kind: 'run'; command: string })
  | (PhaseBase & { kind: 'switch'; keepReleases: number })
  | (PhaseBase & { kind: 'start'; start: StartConfig })
  | (PhaseBase & { kind: 'health'; checks: HealthCheckConfig[] })
  | (PhaseBase & {
      kind: 'restore';
      start: StartConfig | null;
      checks: HealthCheckConfig[];
      keepReleases: number;
    });

export type PhaseKind = Phase['kind'];

/** A service-level step of a blue-green or canary rollout, after every target runs the new slot. */
export type DeliveryStep =
  /** Send `weight` percent of traffic to the new slot (the rest to the old one). */
  | { id: string; kind: 'route'; weight: number }
  | { id: string; kind: 'pause'; ms: number }
  /** Wait until a person runs `marshal approve <run>` (or `reject`). */
  | { id: string; kind: 'approve' }
  /** Run an analysis (templates rendered when it runs); its verdict decides. */
  | { id: string; kind: 'analysis'; name: string; spec: AnalysisConfig }
  /** All traffic to the new slot, which becomes the one serving. */
  | { id: string; kind: 'promote' }
  /** Stop the old slot after `ms`. */
  | { id: string; kind: 'retire'; ms: number };

export interface Delivery {
  strategy: 'blue-green' | 'canary';
  router: { name: string; config: RouterConfig };
  /** Port of each slot (templated per host). */
  ports: Record<Slot, number | string>;
  /** The slot the new version starts in. */
  slot: Slot;
  /** The slot serving before the run; null on a first deploy. */
  fromSlot: Slot | null;
  steps: DeliveryStep[];
  /**
   * The service's step timeout and retry policy, which its service-level steps follow too (each
   * kind's deadline is derived from the timeout: docs/strategies.md). Absent in plans stored
   * before these steps had deadlines.
   */
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface PlannedService {
  name: string;
  group: string;
  provider: string;
  /** Directory of the file that declared the service: relative artifact paths start here. */
  baseDir: string;
  /** The most common current version among changing targets. */
  from: string | null;
  to: string;
  /** Planned services this one waits for (unchanged ones are already live). */
  needs: string[];
  /** Targets that change in this run, in rollout order. */
  targets: PlannedTarget[];
  unchangedTargets: string[];
  /** Per-target steps, in order. */
  phases: Phase[];
  /** Per-target rollback steps, in order (run phases and/or `restore`). */
  rollback: Phase[];
  /** Batch sizes, in order; they sum to targets.length. */
  batches: number[];
  /** Most targets worked on at once, if limited. */
  concurrency: number | null;
  /** Wait between batches (rolling). */
  pauseMs: number;
  /** Failed targets tolerated before the rollout stops (rolling); 0 for all-at-once. */
  maxFailures: number;
  /** Blue-green or canary: the slots, the router and the service-level steps; null otherwise. */
  delivery: Delivery | null;
}

export interface PlanLimits {
  /** Most steps at once in the run. */
  global: number;
  /** Most steps at once in this environment (across runs it is the lock that serialises). */
  environment: number | null;
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  kind: 'deploy' | 'rollback';
  environment: string;
  project: string | null;
  /** sha256 of the resolved configuration the plan was made from. */
  configDigest: string;
  projectDir: string;
  /** Environment variables (defaults merged with the environment's). */
  variables: Record<string, string>;
  /** Services that change, in dependency order. */
  services: PlannedService[];
  /** Selected services already at their desired version everywhere. */
  unchanged: { service: string; version: string | null }[];
  limits: PlanLimits;
  rollbackOnFailure: boolean;
  /**
   * `deploy --force`: every selected target is deployed again, even where it already runs the
   * desired version, and its process is restarted. Absent in plans stored before it existed.
   */
  force?: boolean;
  estimate: { ms: number; basis: 'history' | 'defaults' } | null;
}
