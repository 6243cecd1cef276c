import { beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import { selectNodes, type SelectOptions } from './select-nodes.js';
import { fixture } from './test-support/temp-project.js';

let project: Project;
beforeAll(async () => {
  ({ project } = await loadProject(fixture('shop')));
});

/** Names selected, without tests (graph operators reach tests too; most cases here are about models). */
function names(options: SelectOptions, withTests = false): string[] {
  return selectNodes(project, { indirectTests: false, ...options })
    .nodes.filter((n) => withTests || n.kind !== 'test')
    .map((n) => n.name);
}

describe('selectNodes', () => {
  it('selects everything but sources by default, in dependency order', () => {
    const selected = names({});
    expect(selected).not.toContain('orders');
    expect(selected.indexOf('stg_orders')).toBeLessThan(selected.indexOf('fct_orders'));
    expect(selected.indexOf('fct_orders')).toBeLessThan(selected.indexOf('order_amounts'));
    expect(selected.indexOf('order_amounts')).toBeLessThan(selected.indexOf('order_amount_report'));
  });

  it('selects by name, glob and graph operators', () => {
    expect(names({ select: ['fct_orders'] })).toEqual(['fct_orders']);
    expect(names({ select: ['stg_*'] })).toEqual(['stg_customers', 'stg_orders']);
    expect(names({ select: ['+order_amounts'] })).toEqual(['orders', 'stg_orders', 'fct_orders', 'order_amounts']);
    expect(names({ select: ['1+order_amounts'] })).toEqual(['fct_orders', 'order_amounts']);
    expect(names({ select: ['fct_orders+'] })).toEqual(['fct_orders', 'order_amounts', 'order_amount_report']);
    expect(names({ select: ['fct_orders+1'] })).toEqual(['fct_orders', 'order_amounts']);
    expect(names({ select: ['@order_amounts'] })).toEqual([
      'orders',
      'stg_orders',
      'fct_orders',
      'order_amounts',
      'order_amount_report',
    ]);
  });

  it('selects by tag, path, source, resource type, config and fqn', () => {
    expect(names({ select: ['tag:daily'] })).toEqual(['fct_orders']);
    expect(names({ select: ['path:models/staging'] })).toEqual(['stg_customers', 'stg_orders', 'int_paid_orders']);
    expect(names({ select: ['models/staging/stg_orders.sql'] })).toEqual(['stg_orders']);
    expect(names({ select: ['source:raw.customers+'] })).toEqual(['customers', 'stg_customers', 'dim_customers']);
    expect(names({ select: ['source:raw'] })).toEqual(['customers', 'orders']);
    expect(names({ select: ['resource_type:snapshot'] })).toEqual(['orders_snapshot']);
    expect(names({ select: ['config.materialized:incremental'] })).toEqual(['fct_orders']);
    expect(names({ select: ['shop.staging'] })).toEqual(['stg_customers', 'stg_orders', 'int_paid_orders']);
    // As dbt: a folder without the package's name, a folder and a model, the package itself, a glob part.
    expect(names({ select: ['staging'] })).toEqual(['stg_customers', 'stg_orders', 'int_paid_orders']);
    expect(names({ select: ['staging.stg_orders'] })).toEqual(['stg_orders']);
    expect(names({ select: ['fqn:staging+'] })).toContain('fct_orders');
    expect(names({ select: ['shop'] })).toEqual(names({}));
    expect(names({ select: ['package:sho*'] }).sort()).toEqual(['customers', 'orders', ...names({})].sort());
    expect(names({ select: ['shop.*'] })).toEqual(names({}));
    expect(names({ exclude: ['staging'] })).not.toContain('stg_orders');
    expect(names({ select: ['test_name:relationships'] }, true)).toEqual([
      'relationships_fct_orders_customer_id__customer_id__ref_dim_customers_',
    ]);
    expect(names({ select: ['test_type:singular'] }, true)).toEqual(['assert_no_future_orders']);
  });

  it('unites space-separated selectors and intersects comma-separated ones', () => {
    expect(names({ select: ['fct_orders dim_customers'] })).toEqual(['fct_orders', 'dim_customers']);
    expect(names({ select: ['fct_orders', 'dim_customers'] })).toEqual(['fct_orders', 'dim_customers']);
    expect(names({ select: ['stg_orders+,tag:daily'] })).toEqual(['fct_orders']);
    expect(names({ select: ['path:models/marts,config.materialized:table'] })).toEqual([
      'broken_model',
      'after_broken',
      'order_amounts',
      'dim_customers',
      'order_amount_report',
    ]);
  });

  it('excludes with the same syntax', () => {
    expect(
      names({ select: ['stg_orders+'], exclude: ['broken_model+', 'resource_type:test', 'orders_snapshot'] }),
    ).toEqual(['stg_orders', 'fct_orders', 'int_paid_orders', 'order_amounts', 'dim_customers', 'order_amount_report']);
  });

  it('selects the tests of selected nodes, and leaves out the tests of excluded ones (eager indirect selection)', () => {
    const selected = selectNodes(project, { select: ['fct_orders'] }).nodes.map((n) => n.name);
    expect(selected).toEqual([
      'fct_orders',
      'unique_fct_orders_order_id',
      'not_null_fct_orders_order_id',
      'is_positive_fct_orders_amount',
      'relationships_fct_orders_customer_id__customer_id__ref_dim_customers_',
    ]);
    const excluded = selectNodes(project, { select: ['path:models/marts'], exclude: ['dim_customers'] }).nodes.map(
      (n) => n.name,
    );
    expect(excluded).not.toContain('relationships_fct_orders_customer_id__customer_id__ref_dim_customers_');
    expect(excluded).not.toContain('unique_dim_customers_customer_id');
    expect(excluded).toContain('unique_fct_orders_order_id');
  });

  it('reports a bad selector as an error and one that matches nothing as a warning with close names', () => {
    const bad = selectNodes(project, { select: ['colour:red'] });
    expect(bad.nodes).toEqual([]);
    expect(bad.issues[0]).toMatchObject({ severity: 'error' });
    expect(bad.issues[0]?.message).toContain('"colour:" is not a selector method');
    const none = selectNodes(project, { select: ['fct_order'] });
    expect(none.nodes).toEqual([]);
    expect(none.issues[0]).toMatchObject({ severity: 'warning', suggestions: ['fct_orders'] });
  });
});
