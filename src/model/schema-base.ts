/** The scalar building blocks of the schema: names, versions, durations, variables. */
import { boolean, number, record, string, union } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { VERSION_PATTERN } from './version.js';

const NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
const nameText = 'lower-case letters, digits, ".", "_" and "-"; starts and ends with a letter or digit';

export const Name = string().regex(NAME, { message: `must be a name: ${nameText}` });

/** A service's name; `rollback` is taken: a rollback's step ids begin with it (`rollback/api/h1/switch`). */
export const ServiceName = Name.refine((name) => name !== 'rollback', {
  message:
    '"rollback" is reserved (the steps of a rollback are named rollback/<service>/…); choose another name',
});

export const Version = string().regex(VERSION_PATTERN, {
  message: 'must be a version: letters, digits, ".", "_", "+" and "-", starting with a letter or digit',
});

/** A duration: `250ms`, `5s`, `1m30s`, or a number of milliseconds. */
export const Duration = union([
  number().int().nonnegative(),
  string().regex(DURATION_PATTERN, { message: 'must be a duration such as 250ms, 5s, 1m30s' }),
])
  .transform((value) => parseDuration(value) as number)
  .meta({ description: 'A duration: `250ms`, `5s`, `1m30s`, `2h`, or a number of milliseconds.' });

/** Variables are strings; numbers and booleans are accepted and kept as their text. */
const VariableValue = union([string(), number(), boolean()]).transform((v) => String(v));
export const Variables = record(
  string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*)' }),
  VariableValue,
).meta({
  description: 'Named values, usable as `{{ env.NAME }}` and exported to commands as environment variables.',
});
