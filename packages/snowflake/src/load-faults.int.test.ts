import { describe } from 'vitest';
import { describeFaultCases } from './__tests__/fault-cases.js';

// Every fault below strikes each statement of a merge load with deletes in turn (prepare, clock, PUT, CREATE
// staging, COPY rows, COPY keys, MERGE, DROP, REMOVE); after each, the table must equal the source, no row twice.

describe('loads through failures the driver recovers from (a 5xx answer, an expired session token)', () => {
  describeFaultCases(['5xx', 'token-expired']);
});

describe('loads through failures Sluice recovers from with a new login (session gone, master token expired)', () => {
  describeFaultCases(['session-gone', 'master-expired']);
});

// The case a client must not repeat blindly: the statement commits, its answer is lost, and the session dies before
// the driver can ask again. Sluice repeats the whole step on a new session; every step being idempotent, nothing
// is written twice.
describe('loads through answers lost after the statement committed', () => {
  describeFaultCases(['lost-answer']);
});
