/** A loaded, validated project: the config plus where each part came from. */
import type { Config } from './schema.js';

export interface Project {
  config: Config;
  /** Absolute path of the root marshal.yaml. */
  configFile: string;
  /** Directory of the root file: the project directory. */
  projectDir: string;
  /** Every file read, root first. */
  files: string[];
  /** sha256 (hex) of the resolved configuration; equal configs give equal digests. */
  digest: string;
  /** Directory of the file that declared each service (artifact paths are relative to it). */
  serviceDirs: Record<string, string>;
}

/** One problem found in a config file. */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path into the config, e.g. `services.api.needs[1]`. */
  path: string;
  message: string;
}
