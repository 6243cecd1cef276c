import { cleanProject } from '@sluice/pipeline';
import { displayPath } from '../config-problems.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

/** `sluice clean`: dbt's clean — remove the folders dbt_project.yml's clean-targets lists (default target/). */
export async function cleanCommand(options: { project: string; json: boolean }, out: Output): Promise<number> {
  const result = await cleanProject(options.project);
  if (options.json) {
    out.line(JSON.stringify({ status: 'ok', exitCode: EXIT.ok, ...result }, null, 2));
    return EXIT.ok;
  }
  const where = displayPath(options.project) || '.';
  for (const folder of result.removed) out.line(`removed ${folder}/`);
  for (const folder of result.absent) out.line(out.dim(`${folder}/ is not there`));
  if (result.removed.length === 0) out.line(`nothing to remove in ${where}`);
  return EXIT.ok;
}
