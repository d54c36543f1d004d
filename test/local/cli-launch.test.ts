import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmScriptArguments, REPO_ROOT } from './e2e-helpers';

/** `npm run pipeline` and friends: tools run from a bundle kept current with their sources. */
describe('local/cli/launch.mjs', () => {
  let dir: string;
  const launch = (...args: string[]) =>
    execFileSync(process.execPath, [join(REPO_ROOT, 'local/cli/launch.mjs'), join(dir, 'tool.ts'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
  const writeTool = (greeting: string) =>
    writeFileSync(
      join(dir, 'tool.ts'),
      [
        "import { where } from './helper';",
        `const greeting: string = ${JSON.stringify(greeting)};`,
        'console.log(JSON.stringify({ greeting, args: process.argv.slice(2), tool: import.meta.url, helper: where }));',
      ].join('\n'),
    );

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-launch-'));
    // Inside a template literal, where a textual replacement by a string would break the syntax.
    writeFileSync(join(dir, 'helper.ts'), 'export const where: string = `$' + '{import.meta.url}`;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a TypeScript tool with its arguments, each module seeing its own import.meta.url', () => {
    writeTool('hello');

    expect(JSON.parse(launch('--json', 'a b'))).toEqual({
      greeting: 'hello',
      args: ['--json', 'a b'],
      tool: pathToFileURL(join(dir, 'tool.ts')).href,
      helper: pathToFileURL(join(dir, 'helper.ts')).href,
    });
  });

  it('builds the tool again when one of its files changed', () => {
    writeTool('hello');
    expect(JSON.parse(launch()).greeting).toBe('hello');

    writeTool('changed, and one byte longer');

    expect(JSON.parse(launch()).greeting).toBe('changed, and one byte longer');
  });

  it('is what npm runs for the quick tools; npm start keeps tsx, whose loader its workers share', () => {
    expect(npmScriptArguments('local/pipeline.ts')).toEqual(['local/cli/launch.mjs', 'local/pipeline.ts']);
    expect(npmScriptArguments('local/redrive.ts')).toEqual(['local/cli/launch.mjs', 'local/redrive.ts']);
    expect(npmScriptArguments('local/main.ts')).toEqual(['--import', 'tsx', 'local/main.ts']);
  });
});
