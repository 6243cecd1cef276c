import type { ParseTarget } from '../parse-hooks.js';
import type { ProjectIssue } from '../project-issue.js';
import { TemplateEngine, type CompiledTemplate } from '../template-engine.js';

/**
 * What every phase of `loadProject` shares: the project folder, the environment, the issues found so far (in the
 * order they are found), and the template engine with what it collects (templates by node id, secrets read).
 * Each phase adds to it and returns what it built for the phases after it.
 */
export interface LoadContext {
  /** Absolute path of the project folder. */
  readonly projectDir: string;
  /** What `env_var()` reads. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Every issue found, errors and warnings, in the order found. */
  readonly issues: ProjectIssue[];
  readonly engine: TemplateEngine;
  /** Values read through `env_var()`. */
  readonly secrets: Set<string>;
  /** Node id → its parsed template. */
  readonly templates: Map<string, CompiledTemplate>;
  /** The target, when known: what parse-time renders see as `target`. */
  readonly target?: ParseTarget;
}

/** A fresh context for loading the project in `projectDir`. */
export function createLoadContext(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
  target?: ParseTarget,
): LoadContext {
  return {
    projectDir,
    env,
    issues: [],
    engine: new TemplateEngine(),
    secrets: new Set(),
    templates: new Map(),
    ...(target === undefined ? {} : { target }),
  };
}

/** `{ line }` when the line is known, else nothing: for spreading into an issue. */
export function atLine(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}
