import { describe, expect, it } from 'vitest';
import { shellFreeArgv, shortCommand } from './shell.js';

describe('shellFreeArgv', () => {
  it('splits simple commands on blanks', () => {
    expect(shellFreeArgv('npm run build')).toEqual(['npm', 'run', 'build']);
    expect(shellFreeArgv('  ./bin/migrate \t --up  ')).toEqual(['./bin/migrate', '--up']);
    expect(shellFreeArgv('node server.mjs --port=8080')).toEqual(['node', 'server.mjs', '--port=8080']);
    expect(shellFreeArgv('cp -a ./dist/. /srv/app/')).toEqual(['cp', '-a', './dist/.', '/srv/app/']);
  });

  it.each([
    ['echo "quoted"'],
    ["echo 'quoted'"],
    ['echo $HOME'],
    ['echo `date`'],
    ['echo a\\ b'],
    ['a | b'],
    ['a && b'],
    ['a; b'],
    ['a > out'],
    ['a < in'],
    ['(a)'],
    ['ls *.js'],
    ['ls file?'],
    ['ls [ab]'],
    ['echo {a,b}'],
    ['cd ~'],
    ['echo # comment'],
    ['a\nb'],
    ['! false'],
    ['FOO=bar node app.js'],
  ])('needs a shell for %j', (command) => {
    expect(shellFreeArgv(command)).toBeNull();
  });

  it.each([
    ['cd /tmp'],
    ['exit 3'],
    ['export A'],
    ['set -e'],
    ['. ./env'],
    ['source env'],
    ['ulimit -n'],
    ['if'],
    ['wait'],
  ])('needs a shell for the built-in or reserved word in %j', (command) => {
    expect(shellFreeArgv(command)).toBeNull();
  });

  it('needs a shell for an empty command', () => {
    expect(shellFreeArgv('')).toBeNull();
    expect(shellFreeArgv('   ')).toBeNull();
  });
});

describe('shortCommand', () => {
  it('keeps short one-line commands', () => {
    expect(shortCommand('npm run build')).toBe('npm run build');
  });

  it('keeps the first line only', () => {
    expect(shortCommand('set -e\nnpm ci\nnpm test')).toBe('set -e …');
  });

  it('cuts at the limit', () => {
    expect(shortCommand('x'.repeat(250))).toBe(`${'x'.repeat(200)}…`);
    expect(shortCommand('abcdef', 3)).toBe('abc…');
  });
});
