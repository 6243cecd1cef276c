import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { ChunkFile } from '@sluice/warehouse';

/** The widest numbers of one column of some chunk files: digits before and after the point. */
export interface WidestNumber {
  /** The most digits any value has before the point (leading zeros and the sign not counted). */
  readonly integerDigits: number;
  /** The most digits any value has after the point (trailing zeros not counted). */
  readonly fractionDigits: number;
  /** The value with the most digits in all (`integerDigits` and `fractionDigits` may come from two values). */
  readonly widest: string;
  /** Values read (NULLs and NaN/Infinity not counted). */
  readonly values: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/**
 * Scan chunk files (format: `@sluice/warehouse` chunk-file.ts) for the widest decimal value of column
 * `columnIndex` (0-based field number): what a numeric column would need to hold them all. `undefined` when the
 * column holds no finite number. Reads the files once, streaming; for the message of a refused load, not the load.
 *
 * @example await widestNumber(files, 3) // { integerDigits: 25, fractionDigits: 30, widest: '1234…', values: 1000 }
 */
export async function widestNumber(
  files: readonly ChunkFile[],
  columnIndex: number,
): Promise<WidestNumber | undefined> {
  let integerDigits = 0;
  let fractionDigits = 0;
  let widest = '';
  let widestDigits = -1;
  let values = 0;
  const take = (text: string) => {
    const match = /^-?0*(\d*)(?:\.(\d*?)0*)?$/.exec(text);
    if (!match || text === '' || text === '-') return;
    const integer = match[1]?.length ?? 0;
    const fraction = match[2]?.length ?? 0;
    values += 1;
    integerDigits = Math.max(integerDigits, integer);
    fractionDigits = Math.max(fractionDigits, fraction);
    if (integer + fraction > widestDigits) {
      widestDigits = integer + fraction;
      widest = text;
    }
  };
  for (const file of files) {
    const source = createReadStream(file.path);
    const stream = file.format === 'csv.gz' ? source.pipe(createGunzip()) : source;
    let field = 0;
    let inQuotes = false;
    let quoteInQuotes = false;
    let atFieldStart = true;
    let captured: number[] = [];
    const endField = () => {
      if (field === columnIndex && !atFieldStart) take(Buffer.from(captured).toString('utf8'));
      captured = [];
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const byte of chunk) {
        if (inQuotes) {
          if (quoteInQuotes) {
            quoteInQuotes = false;
            if (byte === QUOTE) {
              if (field === columnIndex) captured.push(byte);
              continue;
            }
            inQuotes = false; // the quote closed the field; this byte is read below
          } else if (byte === QUOTE) {
            quoteInQuotes = true;
            continue;
          } else {
            if (field === columnIndex) captured.push(byte);
            continue;
          }
        }
        if (byte === QUOTE && atFieldStart) {
          inQuotes = true;
          atFieldStart = false;
        } else if (byte === COMMA) {
          endField();
          field += 1;
          atFieldStart = true;
        } else if (byte === NEWLINE) {
          endField();
          field = 0;
          atFieldStart = true;
        } else {
          atFieldStart = false;
          if (field === columnIndex) captured.push(byte);
        }
      }
    }
    if (!atFieldStart || inQuotes) endField();
  }
  return values === 0 ? undefined : { integerDigits, fractionDigits, widest, values };
}
