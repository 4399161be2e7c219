/**
 * The JSON Schema for editors and the markdown reference, both generated from
 * the one zod schema (scripts/gen-docs.mjs writes them; a test keeps the
 * committed copies current).
 */
import { toJSONSchema, type z } from 'zod';
import {
  Defaults,
  Environment,
  HealthCheck,
  Host,
  ProjectFile,
  RetryPolicy,
  RollbackStep,
  RunStep,
  Service,
  StartSpec,
  Strategy,
} from '../model/schema.js';
import { TEMPLATE_NAMES } from '../model/scope.js';
import { descriptionOf, fieldsOf, fieldTable, type Links, typeOf } from './schema-doc.js';
import { defOf } from './schema-walk.js';
import { STARTER_CONFIG } from './starter.js';

/** The JSON Schema of marshal.yaml (the input form: durations may be text). */
export function configJsonSchema(): object {
  const schema = toJSONSchema(ProjectFile, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = schema;
  return { $schema, $id: 'urn:marshal:schema:marshal.yaml', title: 'marshal.yaml', ...rest };
}

/** The object form of a host (the other form is just its name). */
const HostObject = (defOf(Host).options ?? []).find((o) => defOf(o).type === 'object') as z.ZodType;

interface Section {
  title: string;
  schema: z.ZodType;
  /** Text above the table; the schema's own description comes first. */
  intro?: string;
}

const SECTIONS: Section[] = [
  { title: 'Project file', schema: ProjectFile, intro: 'The top level of `marshal.yaml`.' },
  { title: 'Defaults', schema: Defaults, intro: 'Under `defaults:`.' },
  { title: 'Service', schema: Service, intro: 'Each entry of `services:`, keyed by the service name.' },
  {
    title: 'Environment',
    schema: Environment,
    intro:
      'Each entry of `environments:`, keyed by the environment name. `groups` maps a target group to its hosts.',
  },
  {
    title: 'Host',
    schema: HostObject,
    intro:
      'An entry of `groups.<name>.hosts`: a name (`web1`) or a map. A host listed in several groups of one environment must be defined the same way in each.',
  },
  {
    title: 'Health check',
    schema: HealthCheck,
    intro:
      'An entry of `health:` (one check or a list). Each check has exactly one of `http`, `tcp` or `command`.',
  },
  { title: 'Run step', schema: RunStep, intro: 'An entry of `steps:` or `rollback:`.' },
  { title: 'Rollback step', schema: RollbackStep },
  { title: 'Start', schema: StartSpec, intro: 'Under `start:` of a service.' },
  { title: 'Strategy', schema: Strategy, intro: 'Under `strategy:` of a service; `type` chooses the form.' },
  {
    title: 'Retry policy',
    schema: RetryPolicy,
    intro: 'Under `retry:` of `defaults`, a service or a step. Delays grow by `factor` up to `maxBackoff`.',
  },
];

function anchor(title: string): string {
  return title.toLowerCase().replace(/\s+/g, '-');
}

const LINKS: Links = new Map<unknown, string>([
  ...SECTIONS.map((s) => [s.schema._zod.def, `[${s.title.toLowerCase()}](#${anchor(s.title)})`] as const),
  [Host._zod.def, '[host](#host)'],
]);

function sectionBody(section: Section): string {
  const def = defOf(section.schema);
  if (section.schema === RollbackStep) {
    const forms = (def.options ?? []).map((o) => `- ${typeOf(o, new Map())}: ${descriptionOf(o)}`);
    forms[1] = '- a [run step](#run-step) (`run:`, optional `name`, `timeout`, `retry`).';
    return forms.join('\n');
  }
  if (def.type === 'union' && def.discriminator !== undefined) {
    return (def.options ?? [])
      .map((option) => {
        const tag = defOf(option).shape?.[def.discriminator as string] as z.ZodType;
        const value = JSON.stringify(defOf(tag).values?.[0]);
        return `### \`type: ${JSON.parse(value)}\`\n\n${descriptionOf(tag)}\n\n${fieldTable(fieldsOf(option, LINKS))}`;
      })
      .join('\n\n');
  }
  return fieldTable(fieldsOf(section.schema, LINKS));
}

const VALUES = `## Values

| kind | form |
| --- | --- |
| name | lower-case letters, digits, \`.\`, \`_\` and \`-\`; starts and ends with a letter or digit (\`api\`, \`web-1\`); a service may not be named \`rollback\` (a rollback's steps are named \`rollback/<service>/…\`) |
| version | letters, digits, \`.\`, \`_\`, \`+\` and \`-\`, starting with a letter or digit; quote it (\`"1.10"\`) so YAML keeps it as text |
| duration | \`250ms\`, \`5s\`, \`1.5m\`, \`1m30s\`, \`2h\`, or a number of milliseconds |
| variables | a map of \`NAME: value\` (\`[A-Za-z_][A-Za-z0-9_]*\`); numbers and booleans are kept as their text |
| percentage | \`25%\` of the targets: a batch size rounds up (and is at least 1), a failure limit (\`maxFailures\`) rounds down |`;

function templatesSection(): string {
  const rows = Object.entries(TEMPLATE_NAMES).map(([name, meaning]) => `| \`{{ ${name} }}\` | ${meaning} |`);
  return [
    '## Templates',
    '',
    'These strings are templates: `artifact`, `steps[].run`, `rollback[].run`, `start.command`, `start.port`, ' +
      '`start.env` values, `health[].http.url`, `health[].tcp.host`, `health[].tcp.port` and `health[].command`. ' +
      'A placeholder is a name in double braces; there is no logic. In commands, values are substituted ' +
      'shell-quoted, so write placeholders outside quotes. Every placeholder is checked by `marshal validate` ' +
      'against each environment the service is deployed to.',
    '',
    '| placeholder | value |',
    '| --- | --- |',
    ...rows,
  ].join('\n');
}

/** The config reference in markdown (docs/config-reference.md). */
export function configReferenceMarkdown(): string {
  const parts = [
    '# marshal.yaml reference',
    '',
    '<!-- Generated from src/model/schema.ts by scripts/gen-docs.mjs; do not edit by hand. -->',
    '',
    'One file describes how a project is deployed. Editors can validate it with ' +
      '`schema/marshal.schema.json` (for the YAML language server: ' +
      '`# yaml-language-server: $schema=./schema/marshal.schema.json`).',
    '',
    '## Contents',
    '',
    ...[...SECTIONS.map((s) => s.title), 'Values', 'Templates', 'Example'].map(
      (t) => `- [${t}](#${anchor(t)})`,
    ),
  ];
  for (const section of SECTIONS) {
    const own = descriptionOf(section.schema);
    const intro = [own, section.intro].filter((t) => t !== undefined && t !== '').join(' ');
    parts.push('', `## ${section.title}`, '', intro, '', sectionBody(section));
  }
  parts.push('', VALUES, '', templatesSection());
  parts.push(
    '',
    '## Example',
    '',
    'The file `marshal init` writes:',
    '',
    '```yaml',
    STARTER_CONFIG.trimEnd(),
    '```',
    '',
  );
  return parts.join('\n');
}
