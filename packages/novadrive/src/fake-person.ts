import { BRAZILIAN_NAMES } from './brazilian-names.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * A Brazilian-style full name; 4% come all lowercase and 1% all uppercase, for the stage models' INITCAP.
 * The generator's SQL (generate-novadrive.ts) follows the same recipe on the server.
 */
export function fakePersonName(random: SeededRandom): string {
  const first = random.pick(BRAZILIAN_NAMES.first);
  const surname = random.pick(BRAZILIAN_NAMES.surname);
  const second = random.chance(0.5) ? ` ${random.pick(BRAZILIAN_NAMES.surname)}` : '';
  const name = `${first} ${surname}${second}`;
  const casing = random.int(100);
  return casing < 4 ? name.toLowerCase() : casing < 5 ? name.toUpperCase() : name;
}

/**
 * A street address such as `Rua das Flores, 123, Apto 402 - Centro`; 4% carry leading or trailing spaces,
 * for the stage models' TRIM.
 */
export function fakeAddress(random: SeededRandom): string {
  const street = `${random.pick(BRAZILIAN_NAMES.streetType)} ${random.pick(BRAZILIAN_NAMES.street)}`;
  const number = 1 + random.int(3000);
  const kind = random.int(100);
  const complement =
    kind < 35
      ? `, Apto ${(1 + random.int(20)) * 100 + 1 + random.int(8)}`
      : kind < 45
        ? `, Casa ${1 + random.int(4)}`
        : '';
  const address = `${street}, ${number}${complement} - ${random.pick(BRAZILIAN_NAMES.neighbourhood)}`;
  return pad(address, random.int(100));
}

/** Leading/trailing spaces for 4 values in 100 (`roll` in [0, 100)). */
export function pad(text: string, roll: number): string {
  switch (roll) {
    case 0:
      return ` ${text}`;
    case 1:
      return `${text} `;
    case 2:
      return `${text}  `;
    case 3:
      return `  ${text} `;
    default:
      return text;
  }
}
