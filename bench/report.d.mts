// Types of report.mjs, for the test that keeps docs/benchmarks.md's hand-written notes (TypeScript).
export function median(values: number[]): number;
export function machine(cpus: { model: string }[]): Record<string, string>;
export function replaceScaleSection(text: string, scale: unknown, pass?: string): string;
export const NOTES_HEADING: string;
export function notesOf(text: string): string;
export function writeReport(report: Record<string, unknown>): string;
