import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { StageRef } from './statement-plan.js';

/**
 * Parse a stage reference as written: `@my_stage/path/`, `@db.schema."Stage"/x.csv`, `@%orders`, `@db.s.%orders`,
 * `@~/staged`. Unquoted name parts fold to upper case; the path keeps its case.
 */
export function parseStageRef(text: string): StageRef {
  if (!text.startsWith('@'))
    throw SnowflakeEmulatorError.sql('001003', '42000', `SQL compilation error:\ninvalid stage reference '${text}'.`);
  const body = text.slice(1);
  let i = 0;
  let inQuotes = false;
  for (; i < body.length; i++) {
    const ch = body[i];
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === '/' && !inQuotes) break;
  }
  const namePart = body.slice(0, i);
  const path = body.slice(i).replace(/^\/+/, '');
  if (namePart === '~') return { kind: 'user', name: [], path, text };
  const parts = splitName(namePart, text);
  const last = parts[parts.length - 1];
  if (last === undefined || last === '')
    throw SnowflakeEmulatorError.sql('001003', '42000', `SQL compilation error:\ninvalid stage reference '${text}'.`);
  if (last.startsWith('%')) {
    return { kind: 'table', name: [...parts.slice(0, -1), last.slice(1)], path, text };
  }
  return { kind: 'named', name: parts, path, text };
}

function splitName(name: string, text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      let value = '';
      i++;
      while (i < name.length) {
        if (name[i] === '"') {
          if (name[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          break;
        }
        value += name[i];
        i++;
      }
      i++;
      parts.push(value);
    } else {
      let j = i;
      while (j < name.length && name[j] !== '.') j++;
      const raw = name.slice(i, j);
      // `%table` keeps the marker; the name after it folds like any unquoted identifier
      parts.push(raw.startsWith('%"') ? `%${raw.slice(2, -1)}` : raw.toUpperCase());
      i = j;
    }
    if (name[i] === '.') i++;
    else if (i < name.length)
      throw SnowflakeEmulatorError.sql('001003', '42000', `SQL compilation error:\ninvalid stage reference '${text}'.`);
  }
  return parts;
}
