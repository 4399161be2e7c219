/**
 * Artifacts as tar streams. A release goes to many hosts: its directory is
 * archived once (`tar -C <source> -cf - .`) and the same bytes are sent to
 * every host, where uploadScript unpacks them.
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { MarshalError } from '../../model/errors.js';

/** Tar archives of artifact directories, built once per source and version. */
export class ArtifactArchives {
  private readonly archives = new Map<string, Promise<Buffer>>();

  /** The archive of `source` for `version` (built on first request; a failure is not cached). */
  get(source: string, version: string): Promise<Buffer> {
    const key = `${source}\u0000${version}`;
    let archive = this.archives.get(key);
    if (archive === undefined) {
      archive = build(source);
      this.archives.set(key, archive);
      archive.catch(() => this.archives.delete(key));
    }
    return archive;
  }

  /** Forgets every archive (the run is over). */
  clear(): void {
    this.archives.clear();
  }
}

async function build(source: string): Promise<Buffer> {
  const info = await fsp.stat(source).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new MarshalError(
      'PROVIDER_ERROR',
      `artifact directory ${source} does not exist or is not a directory`,
      {
        retryable: false,
        hint: 'check the service `artifact:` path; it is resolved from the file that declares the service',
      },
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', source, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (err) =>
      reject(
        new MarshalError('PROVIDER_ERROR', `cannot run tar: ${err.message}`, {
          retryable: false,
          cause: err,
        }),
      ),
    );
    child.once('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(chunks));
      const why = stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
      reject(new MarshalError('PROVIDER_ERROR', `cannot archive ${source}: ${why}`, { retryable: false }));
    });
  });
}
