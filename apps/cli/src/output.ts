/** Where the CLI writes: lines to stdout, problems to stderr. Colour only on a terminal without NO_COLOR. */
export interface Output {
  line(text?: string): void;
  error(text: string): void;
  /** Raw text to stdout (the live progress display's redraws). */
  write(text: string): void;
  readonly color: boolean;
  /** A terminal that can be redrawn (not CI, not TERM=dumb): the live progress display runs there. */
  readonly live: boolean;
  /** Width of the terminal (80 when unknown). */
  readonly columns: number;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

export function createOutput(stream: NodeJS.WriteStream = process.stdout): Output {
  const tty = Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
  const color = tty && !process.env.NO_COLOR;
  const paint = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    line: (text = '') => stream.write(`${text}\n`),
    error: (text) => process.stderr.write(`${text}\n`),
    write: (text) => stream.write(text),
    color,
    live: tty && !process.env.CI,
    get columns() {
      return stream.columns || 80;
    },
    bold: paint('1'),
    dim: paint('2'),
    red: paint('31'),
    green: paint('32'),
    yellow: paint('33'),
  };
}
