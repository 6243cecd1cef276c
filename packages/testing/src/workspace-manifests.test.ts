import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The package manifests tell the truth: every package a workspace package imports is declared (in `dependencies`
 * when shipped code imports it, else in `devDependencies` or the root's), and every declared dependency is used.
 * Libraries leave the process to the apps: no `process.argv`, `console` or `process.exit` outside an app or a bin.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const builtins = new Set(builtinModules);
const rootManifest = readManifest(path.join(root, 'package.json'));
const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readManifest(file: string): Manifest {
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

function workspaceDirs(): string[] {
  const dirs = ['packages', 'apps'].flatMap((group) =>
    readdirSync(path.join(root, group)).map((name) => path.join(root, group, name)),
  );
  return [...dirs, path.join(root, 'bench')].filter((dir) => existsSync(path.join(dir, 'package.json')));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) return [];
    if (statSync(full).isDirectory()) return filesUnder(full);
    return /\.(ts|mts|mjs|js)$/.test(entry) ? [full] : [];
  });
}

/** Test code and its support: may use devDependencies. */
function isTestFile(file: string): boolean {
  return (
    /\.(test|int\.test|e2e\.test)\.ts$/.test(file) ||
    /[\\/](test|__tests__|__fixtures__|test-support)[\\/]/.test(file) ||
    /\.fixture\.ts$/.test(file) ||
    /(tsup|vitest)\.config\.ts$/.test(file)
  );
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The packages a file imports (static, dynamic, re-exports, require, and `resolve('x')` of a package). */
function importedPackages(file: string): string[] {
  const text = withoutComments(readFileSync(file, 'utf8'));
  const specifiers = [
    ...text.matchAll(/(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|[^.\w])import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/(?:import|require|resolve)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string)))
    .filter((name) => !builtins.has(name));
}

const packages = workspaceDirs().map((dir) => {
  const manifest = readManifest(path.join(dir, 'package.json'));
  const files = [...filesUnder(path.join(dir, 'src')), ...filesUnder(path.join(dir, 'test'))];
  if (path.basename(dir) === 'bench')
    files.push(...filesUnder(dir).filter((f) => !f.includes(`${path.sep}src${path.sep}`)));
  for (const extra of ['tsup.config.ts', 'vitest.config.ts']) {
    if (existsSync(path.join(dir, extra))) files.push(path.join(dir, extra));
  }
  return { dir, manifest, files: [...new Set(files)] };
});

describe('workspace manifests', () => {
  it.each(packages.map((p) => [path.relative(root, p.dir), p] as const))(
    '%s declares what it imports, in the right section',
    (_, { manifest, files }) => {
      const shipped = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
      const problems: string[] = [];
      for (const file of files) {
        const test = isTestFile(file);
        for (const name of importedPackages(file)) {
          if (name === manifest.name || shipped.has(name)) continue;
          if (test && (dev.has(name) || rootDev.has(name))) continue;
          problems.push(
            `${path.relative(root, file)} imports ${name}, which ${dev.has(name) ? 'is only a devDependency' : 'is not declared'}`,
          );
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it.each(packages.map((p) => [path.relative(root, p.dir), p] as const))(
    '%s uses every dependency it declares',
    (_, { manifest, files }) => {
      const shippedFiles = files.filter((f) => !isTestFile(f));
      const usedShipped = new Set(shippedFiles.flatMap(importedPackages));
      const usedAnywhere = new Set(files.flatMap(importedPackages));
      const typesFor = (name: string) => name.replace(/^@types\//, '').replace(/^([^_]+)__(.+)$/, '@$1/$2');
      const unused = [
        ...Object.keys(manifest.dependencies ?? {})
          .filter((name) => !usedShipped.has(name))
          .map((name) => `${name} (dependencies)`),
        ...Object.keys(manifest.devDependencies ?? {})
          .filter((name) =>
            name.startsWith('@types/')
              ? !usedAnywhere.has(typesFor(name)) && typesFor(name) !== 'node'
              : !usedAnywhere.has(name),
          )
          .map((name) => `${name} (devDependencies)`),
      ];
      expect(unused).toEqual([]);
    },
  );

  it('libraries leave the process to the apps: no process.argv, console or process.exit', () => {
    const found: string[] = [];
    for (const { dir, files } of packages) {
      if (!dir.includes(`${path.sep}packages${path.sep}`)) continue;
      for (const file of files) {
        if (isTestFile(file) || path.basename(file) === 'bin.ts') continue;
        const text = withoutComments(readFileSync(file, 'utf8'));
        for (const pattern of [/process\.argv/, /\bconsole\.\w+/, /process\.exit\(/]) {
          const match = pattern.exec(text);
          if (match) found.push(`${path.relative(root, file)}: ${match[0]}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});
