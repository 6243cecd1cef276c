/**
 * An integer as `query` returns it: a number when that is exact, else its decimal string (64-bit and wider integers,
 * NUMBER(38,0)). `value` is a bigint or the integer's decimal text.
 *
 * @example exactInteger(9_007_199_254_740_992n) // '9007199254740992'
 * @example exactInteger('42') // 42
 */
export function exactInteger(value: bigint | string): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : String(value);
}
