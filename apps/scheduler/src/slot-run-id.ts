import { randomBytes } from 'node:crypto';

const SLOT_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]+$/;

/**
 * The id of a scheduled run: its slot in UTC, then a random suffix (`20240310T060000Z-9f2c4a`). The slot in the id
 * lets a restarted daemon find the last slot handled from the run history alone.
 */
export function slotRunId(slot: Date, suffix: string = randomBytes(3).toString('hex')): string {
  const iso = slot.toISOString(); // 2024-03-10T06:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z-${suffix}`;
}

/** The slot a scheduled run's id names, or undefined for any other id. */
export function slotOfRunId(id: string): Date | undefined {
  const match = SLOT_ID.exec(id);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const slot = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.000Z`);
  return Number.isNaN(slot.getTime()) ? undefined : slot;
}
