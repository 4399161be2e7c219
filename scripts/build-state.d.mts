// Types of build-state.mjs, for the tests and vitest's global set-up (TypeScript).
export const STAMP: string;
export function buildInputs(root: string): string[];
export function inputsDigest(root: string): string;
export function isStale(root: string): boolean;
export function writeStamp(root: string, digest: string): void;
