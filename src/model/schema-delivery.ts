/**
 * The progressive-delivery part of the schema: traffic routers, metric
 * analyses, and the blue-green and canary strategies built on them.
 */
import { array, boolean, literal, number, type output, strictObject, string, union } from 'zod';
import { Duration, Name } from './schema-base.js';

export const NginxRouter = strictObject({
  type: literal('nginx').describe(
    'An nginx whose upstream block Marshal writes, validates (`nginx -t`) and reloads (HUP).',
  ),
  upstream: Name.describe('Name of the upstream block (what `proxy_pass http://<upstream>` uses).'),
  file: string().describe('The file Marshal writes the upstream block to; nginx.conf `include`s it.'),
  config: string().describe('nginx.conf, for `nginx -t -c`.'),
  pidFile: string().describe("nginx's pid file: the master is sent HUP to reload."),
});

export const HaproxyRouter = strictObject({
  type: literal('haproxy').describe('An haproxy whose backend weights Marshal sets over its runtime API.'),
  backend: Name.describe('The backend Marshal manages.'),
  socket: string().describe('The admin socket (`stats socket … level admin`).'),
  configFile: string().describe('haproxy.cfg: rewritten with the same weights, so a reload keeps them.'),
});

export const CommandRouter = strictObject({
  type: literal('command').describe('Any other router: a command that applies the weights.'),
  run: string().describe('Shell command; it gets the backends as JSON in MARSHAL_BACKENDS.'),
});

export const Router = union([NginxRouter, HaproxyRouter, CommandRouter]).describe(
  'Each is one of three kinds, chosen by `type`, with keys of its own.',
);

export const Analysis = strictObject({
  prometheus: strictObject({
    address: string().describe('Prometheus base URL, e.g. http://127.0.0.1:9090; templated.'),
    query: string().describe(
      'PromQL; templated (`{{ service }}`, `{{ version }}`, `{{ slot }}`…). Its first sample is `result`.',
    ),
  })
    .optional()
    .describe('Measure with a Prometheus query.'),
  http: strictObject({
    url: string().describe('URL answering JSON; templated.'),
    jsonPath: string().describe('Dotted path of the measured field, e.g. `stats.errorRate`.'),
  })
    .optional()
    .describe('Measure a field of an HTTP JSON answer.'),
  command: string().optional().describe('Measure with a shell command: `result` is its exit status.'),
  successCondition: string().describe('When a measurement succeeds, e.g. `result < 0.05`.'),
  failureCondition: string()
    .optional()
    .describe(
      'When it fails; without it, a measurement that does not succeed fails. With it, neither → inconclusive.',
    ),
  interval: Duration.default(10_000).describe('Time between measurements.'),
  initialDelay: Duration.default(0).describe('Wait before the first measurement.'),
  count: number().int().min(1).default(5).describe('Measurements taken.'),
  failureLimit: number().int().min(0).default(0).describe('Failed measurements tolerated.'),
  inconclusiveLimit: number()
    .int()
    .min(0)
    .default(0)
    .describe('Inconclusive ones tolerated; more pause the run for a person.'),
  dryRun: boolean().default(false).describe('Record measurements and verdicts but never act on them.'),
})
  .refine((a) => [a.prometheus, a.http, a.command].filter((v) => v !== undefined).length === 1, {
    message: 'an analysis needs exactly one of prometheus, http or command',
  })
  .describe('A metric analysis: measurements, conditions and limits that give a verdict.');

/** The two slots of a service on each host: each colour has its own port (and process, link). */
export const Slots = strictObject({
  blue: strictObject({
    port: union([number().int().min(1).max(65535), string()]).describe('Port of the blue slot; templated.'),
  }),
  green: strictObject({
    port: union([number().int().min(1).max(65535), string()]).describe('Port of the green slot; templated.'),
  }),
}).describe('Ports of the blue and green slots (the new version starts in the one not serving).');

export const BlueGreen = strictObject({
  type: literal('blue-green').describe('Start the new version beside the old, check it, switch the router.'),
  router: Name.describe('Router (of the environment) that sends traffic to the slot in service.'),
  slots: Slots,
  prePromotionAnalysis: array(Name)
    .default([])
    .describe('Analyses (by name) that must pass before the switch.'),
  autoPromote: boolean()
    .default(true)
    .describe('Switch on its own; false waits for `marshal approve <run>`.'),
  keepOldFor: Duration.optional().describe(
    'Stop the old slot this long after the switch; by default it stays up until the next deploy.',
  ),
});

export const CanaryStep = union([
  strictObject({
    setWeight: number().int().min(0).max(100).describe('Percent of traffic to the canary.'),
  }).describe('Send a share of the traffic to the new version.'),
  strictObject({
    pause: strictObject({
      duration: Duration.optional().describe('How long; without it, until `marshal approve <run>`.'),
    }).describe('`{duration: 2m}`, or `{}` to wait for a person.'),
  }).describe('Wait, at the weight set so far.'),
  strictObject({ analysis: Name.describe('An analysis (by name) that must pass.') }).describe(
    'Judge the new version: a failed analysis rolls back, an inconclusive one waits for a person.',
  ),
]).describe('`{setWeight: N}`, `{pause: {duration}}`, `{pause: {}}` (until approved) or `{analysis: name}`.');

export const Canary = strictObject({
  type: literal('canary').describe(
    'Shift traffic to the new version step by step, judged by analyses; then promote.',
  ),
  router: Name.describe('Router (of the environment) that splits traffic.'),
  slots: Slots,
  steps: array(CanaryStep).min(1).describe('Run in order; after the last, the canary is promoted to 100%.'),
  keepOldFor: Duration.optional().describe(
    'Stop the old slot this long after promotion; by default it stays up until the next deploy.',
  ),
});

export type RouterConfig = output<typeof Router>;
export type AnalysisConfig = output<typeof Analysis>;
export type BlueGreenConfig = output<typeof BlueGreen>;
export type CanaryConfig = output<typeof Canary>;
export type CanaryStepConfig = output<typeof CanaryStep>;
