/**
 * After includes are merged, a path such as `services.api.needs[0]` lives in
 * whichever file declared `api`. The locator remembers those owners so the
 * semantic checks can work on the merged config and still name the right file.
 */
import type { ConfigProblem } from '../model/project.js';
import { locate, problemAt } from './locate.js';
import { displayPath } from './problems.js';
import type { ConfigPath, LocateOptions, SourceFile } from './yaml-source.js';

/** The two kinds of entries an included file may declare. */
export type Section = 'services' | 'environments';

export class Locator {
  private readonly owners: Record<Section, Map<string, SourceFile>> = {
    services: new Map(),
    environments: new Map(),
  };

  constructor(readonly root: SourceFile) {}

  /** The file that declared `name` in `section`, if any. */
  ownerOf(section: Section, name: string): SourceFile | undefined {
    return this.owners[section].get(name);
  }

  /** Records the first file that declares `name`; later ones are duplicates, reported by the caller. */
  claim(section: Section, name: string, source: SourceFile): SourceFile | undefined {
    const existing = this.owners[section].get(name);
    if (existing === undefined) this.owners[section].set(name, source);
    return existing;
  }

  /** The file a path of the merged config comes from. */
  sourceOf(path: ConfigPath): SourceFile {
    const [section, name] = path;
    if ((section === 'services' || section === 'environments') && typeof name === 'string') {
      return this.owners[section].get(name) ?? this.root;
    }
    return this.root;
  }

  /** A problem at `path` of the merged config. */
  problem(path: ConfigPath, message: string, options: LocateOptions = {}): ConfigProblem {
    return problemAt(this.sourceOf(path), path, message, options);
  }

  /** `services/a.yaml:3:3` — a position relative to the project directory, for messages. */
  where(path: ConfigPath, options: LocateOptions = {}, source = this.sourceOf(path)): string {
    const { line, column } = locate(source, path, options);
    return `${displayPath(source.file, this.root.dir)}:${line}:${column}`;
  }
}
