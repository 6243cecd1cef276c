import type { Project } from './project.js';
import type { CompiledTemplate, TemplateEngine } from './template-engine.js';

/** What a loaded project keeps that is not part of its public shape: templates and the engine that renders them. */
export interface ProjectInternals {
  readonly engine: TemplateEngine;
  /** Node id → its parsed template (models, snapshots, singular tests). */
  readonly templates: ReadonlyMap<string, CompiledTemplate>;
  /** Values read through `env_var()`: redacted from artifacts, events and messages. */
  readonly secrets: Set<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Package name → the vars its own nodes see (its dbt_project.yml's, under the root project's). */
  readonly packageVars: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

const internals = new WeakMap<Project, ProjectInternals>();

export function setProjectInternals(project: Project, value: ProjectInternals): void {
  internals.set(project, value);
}

export function projectInternals(project: Project): ProjectInternals {
  const value = internals.get(project);
  if (value === undefined) throw new Error('not a project returned by loadProject()');
  return value;
}

/**
 * Replace every value read through `env_var()` with `*****` (values shorter than 3 characters are left alone:
 * they cannot be told apart from ordinary text).
 */
export function redactSecrets(project: Project, text: string): string {
  const { secrets } = projectInternals(project);
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('*****');
  return out;
}
