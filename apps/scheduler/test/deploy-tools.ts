import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root and its deploy/ folder. */
export const REPO = path.resolve(here, '..', '..', '..');
export const DEPLOY = path.join(REPO, 'deploy');
