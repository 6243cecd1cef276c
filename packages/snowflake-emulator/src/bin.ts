#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { connectionHint, parseCliArguments } from './cli-arguments.js';
import { SnowflakeEmulatorError } from './emulator-error.js';
import { startSnowflakeEmulator } from './snowflake-emulator.js';

async function main(): Promise<number> {
  const parsed = parseCliArguments(process.argv.slice(2), process.env, (file) => readFileSync(file, 'utf8'));
  if (parsed.kind === 'exit') {
    (parsed.exitCode === 0 ? console.log : console.error)(parsed.message);
    return parsed.exitCode;
  }
  const emulator = await startSnowflakeEmulator(parsed.options);
  console.log(`Sluice Snowflake emulator listening on ${emulator.url} (data in ${parsed.options.dataDir})`);
  console.log('');
  console.log(connectionHint(emulator.url, parsed.user, parsed.passwordVariable, parsed.options.databases?.[0]));
  console.log('');
  console.log('Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      console.log(`\n${signal} received, stopping the emulator…`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await emulator.stop();
  console.log('Stopped.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SnowflakeEmulatorError)
      console.error(`sluice-snowflake-emulator: ${error.message} [${error.code}]`);
    else console.error('sluice-snowflake-emulator failed:', error);
    process.exit(1);
  },
);
