import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Statements as a golden file holds them: separated by a blank line, each ended by `;`. */
export function goldenScript(statements: readonly string[]): string {
  return `${statements.join(';\n\n')};\n`;
}

/**
 * One test per golden file: the SQL `render()` returns must equal `<goldenDir>/<name>` byte for byte. After an
 * intended change, rewrite the files with `UPDATE_GOLDEN=1 npx vitest run <package>/`.
 *
 * @example describeGoldenSql(path.join(here, '__golden__'), { 'ddl-create.sql': () => goldenScript(plan.statements) });
 */
export function describeGoldenSql(goldenDir: string, goldens: Readonly<Record<string, () => string>>): void {
  describe('golden SQL', () => {
    for (const [name, render] of Object.entries(goldens)) {
      it(`emits the statements pinned in __golden__/${name}`, async () => {
        const actual = render();
        const target = path.join(goldenDir, name);
        if (process.env.UPDATE_GOLDEN === '1') {
          await mkdir(goldenDir, { recursive: true });
          await writeFile(target, actual);
        }
        expect(existsSync(target), `${target} is missing: run with UPDATE_GOLDEN=1 to write it`).toBe(true);
        expect(actual).toBe(await readFile(target, 'utf8'));
      });
    }
  });
}
