import { describe, expect, it } from 'vitest';
import { genericTestName } from './generic-test-name.js';

describe('genericTestName (dbt-core synthesize_generic_test_names)', () => {
  it('appends each argument value in name order, model left out', () => {
    expect(genericTestName('not_null', 'orders', { column_name: 'id' }).name).toBe('not_null_orders_id');
    expect(
      genericTestName('relationships', 'orders', { to: "ref('customers')", field: 'id', column_name: 'customer_id' })
        .name,
    ).toBe('relationships_orders_customer_id__id__ref_customers_');
    expect(
      genericTestName('dbt_utils_expression_is_true', 'orders', { expression: 'amount >= 0', model: 'x' }).name,
    ).toBe('dbt_utils_expression_is_true_orders_amount_0');
  });

  it("writes values as Python's str() does: booleans, lists inside lists, mappings by their values", () => {
    expect(genericTestName('accepted_range', 't', { column_name: 'v', min_value: 0, inclusive: false }).name).toBe(
      'accepted_range_t_v__False__0',
    );
    expect(genericTestName('x', 't', { pairs: [['a', 'b'], 'c'], opts: { k: 'v', n: null } }).name).toBe(
      'x_t_v__None___a_b___c',
    );
    // Python's re without flags matches ASCII letters only: accented letters become `_`.
    expect(genericTestName('accepted_values', 'veiculos', { column_name: 'tipo', values: ['Híbrida'] }).name).toBe(
      'accepted_values_veiculos_tipo__H_brida',
    );
  });

  it('shortens a name of 64 characters or more to 30 characters and its md5 (the jaffle shop example)', () => {
    const names = genericTestName('accepted_values', 'orders', {
      column_name: 'status',
      values: ['placed', 'shipped', 'completed', 'return_pending', 'returned'],
    });
    expect(names).toEqual({
      name: 'accepted_values_orders_status__placed__shipped__completed__return_pending__returned',
      shortName: 'accepted_values_orders_1ce6ab157c285f7cd2ac656013faf758',
    });
    const short = genericTestName('unique', 'orders', { column_name: 'order_id' });
    expect(short.shortName).toBe(short.name);
  });
});

describe('genericTestName: names dbt could not select', () => {
  it('writes characters of the node name other than letters, digits and _ as _', () => {
    expect(genericTestName('source_not_null', 'loja_Customer Orders', { column_name: 'Order ID' }).name).toBe(
      'source_not_null_loja_Customer_Orders_Order_ID',
    );
  });
});
