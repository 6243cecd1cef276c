import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import './outside-tool.js'; // declares the `missingTool` test meta

/**
 * Closes a run with plain lines (no ANSI colours), after vitest's own summary, so a CI reading only the last lines
 * sees them: `N passed, N failed` (`, N skipped` when any); then, when tests were skipped for lack of an outside
 * tool (see `requireTool`), one line naming them and the `apt-get install` that enables them; and one naming any
 * test skipped for another reason, so no skip goes unnoticed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: TestCase[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(test);
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    const lines = [`${passed} passed, ${failed} failed${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}`];

    const forTools = skipped.filter((test) => test.meta().missingTool !== undefined);
    if (forTools.length > 0) {
      const packages = [...new Set(forTools.map((test) => test.meta().missingTool?.debianPackage))].sort();
      const tools = [...new Set(forTools.map((test) => test.meta().missingTool?.tool))].sort();
      lines.push(
        `Skipped ${forTools.length} test${forTools.length === 1 ? '' : 's'} for lack of ${tools.join(', ')}: ` +
          `${forTools.map((test) => `${name(test)} (${test.meta().missingTool?.tool})`).join('; ')}. ` +
          `Enable them with \`apt-get install ${packages.join(' ')}\` (under CI=true a missing tool fails).`,
      );
    }
    const otherwise = skipped.filter((test) => test.meta().missingTool === undefined);
    if (otherwise.length > 0) {
      lines.push(
        `Skipped for another reason: ${otherwise
          .map((test) => {
            const result = test.result();
            const note = result.state === 'skipped' ? result.note : undefined;
            return `${name(test)} (${note ?? `mode ${test.options.mode}, no reason given`})`;
          })
          .join('; ')}.`,
      );
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}

/** `apps/scheduler/test/deploy.int.test.ts › the test's name`. */
function name(test: TestCase): string {
  return `${path.relative(process.cwd(), test.module.moduleId)} › ${test.name}`;
}
