/**
 * Blue-green and canary services name a router and analyses: every name must
 * exist — the router in each environment the service is deployed to.
 */

import { parseCondition } from '../model/condition.js';
import type { ConfigProblem } from '../model/project.js';
import { didYouMean } from '../model/suggest.js';
import type { CheckContext } from './checks.js';

export function deliveryProblems({ config, locator, services }: CheckContext): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const analyses = Object.keys(config.analyses);
  // Conditions are parsed now, so a typo is found by `validate`, not half-way through a canary.
  for (const [name, analysis] of Object.entries(config.analyses)) {
    for (const key of ['successCondition', 'failureCondition'] as const) {
      const source = analysis[key];
      if (source === undefined) continue;
      try {
        parseCondition(source, key);
      } catch (error) {
        out.push(locator.problem(['analyses', name, key], (error as Error).message));
      }
    }
  }
  for (const [name, service] of services) {
    const strategy = service.strategy;
    if (strategy?.type !== 'blue-green' && strategy?.type !== 'canary') continue;
    const base = ['services', name, 'strategy'];
    const group = service.group ?? name;
    const provider = service.provider ?? config.defaults.provider;
    if (provider !== 'local') {
      // Slots (a second instance per host) exist in the local provider only, so far.
      out.push(
        locator.problem(
          [...base, 'type'],
          `${strategy.type} needs the local provider (slots are not built for ${provider} targets yet)`,
        ),
      );
    }
    for (const [envName, env] of Object.entries(config.environments)) {
      if (env.groups[group] === undefined) continue;
      if (env.routers[strategy.router] === undefined) {
        const known = Object.keys(env.routers);
        out.push(
          locator.problem(
            [...base, 'router'],
            `${envName} has no router "${strategy.router}"${didYouMean(strategy.router, known)}` +
              (known.length === 0 ? ` — add environments.${envName}.routers.${strategy.router}` : ''),
          ),
        );
      }
    }
    const named: [(string | number)[], string][] =
      strategy.type === 'blue-green'
        ? strategy.prePromotionAnalysis.map((a, i): [(string | number)[], string] => [
            [...base, 'prePromotionAnalysis', i],
            a,
          ])
        : strategy.steps.flatMap((s, i): [(string | number)[], string][] =>
            'analysis' in s ? [[[...base, 'steps', i, 'analysis'], s.analysis]] : [],
          );
    for (const [path, analysis] of named) {
      if (!analyses.includes(analysis)) {
        out.push(locator.problem(path, `unknown analysis "${analysis}"${didYouMean(analysis, analyses)}`));
      }
    }
  }
  return out;
}
