import type { ExecutionContext } from '../execution-context.js';
import { epochText } from '../result-encoding.js';
import { displayName } from '../sql/object-name.js';
import { rowType } from '../sql/snowflake-types.js';
import { StatementTypeId, type PlanOf } from '../sql/statement-plan.js';
import { status, type StatementOutcome } from '../statement-outcome.js';
import { doesNotExist } from './catalog-errors.js';

/**
 * GRANT / REVOKE a privilege on a table or view to / from a role: kept in the metadata store, shown by SHOW GRANTS,
 * kept by `CREATE OR REPLACE … COPY GRANTS` and dropped by `CREATE OR REPLACE` without it (and by DROP). Roles are
 * not checked: the emulator has no role catalog.
 */
export async function grantPrivilege(plan: PlanOf<'grant'>, context: ExecutionContext): Promise<StatementOutcome> {
  const kind = plan.objectType === 'VIEW' ? 'VIEW' : 'TABLE';
  if (!(await context.tableExists(plan.target, kind))) {
    throw doesNotExist(kind === 'VIEW' ? 'View' : 'Table', displayName(plan.target), '42S02');
  }
  for (const privilege of plan.privileges) {
    await context.services.metadata.changeGrant(plan.target, plan.action, {
      privilege,
      granteeType: 'ROLE',
      grantee: plan.grantee,
      grantedBy: context.session.role,
      createdOn: new Date().toISOString(),
    });
  }
  return status('Statement executed successfully.', StatementTypeId.DDL);
}

/**
 * SHOW GRANTS ON TABLE | VIEW: OWNERSHIP (held by the session's role: the emulator does not track owners) and every
 * privilege granted, with Snowflake's columns.
 */
export async function showGrants(plan: PlanOf<'show-grants'>, context: ExecutionContext): Promise<StatementOutcome> {
  const kind = plan.objectType === 'VIEW' ? 'VIEW' : 'TABLE';
  if (!(await context.tableExists(plan.target, kind))) {
    throw doesNotExist(kind === 'VIEW' ? 'View' : 'Table', displayName(plan.target), '42S02');
  }
  const now = epochText(BigInt(Date.now()) * 1000n);
  const name = `${plan.target.database}.${plan.target.schema}.${plan.target.name}`;
  const role = context.session.role;
  const rows: (string | null)[][] = [
    [now, 'OWNERSHIP', kind, name, 'ROLE', role, 'true', role],
    ...context.services.metadata
      .grantsOn(plan.target)
      .map((g) => [
        epochText(BigInt(Date.parse(g.createdOn)) * 1000n),
        g.privilege,
        kind,
        name,
        g.granteeType,
        g.grantee,
        'false',
        g.grantedBy,
      ]),
  ];
  return {
    type: 'rows',
    columns: [
      rowType('created_on', 'timestamp_ltz'),
      ...['privilege', 'granted_on', 'name', 'granted_to', 'grantee_name', 'grant_option', 'granted_by'].map((n) =>
        rowType(n, 'text'),
      ),
    ],
    rows,
    statementTypeId: StatementTypeId.SCL,
  };
}
