/** A description that would run script if the page ever used it as markup. */
export const EVIL = '</script><img src=x onerror="window.__pwned=1"> <!-- \u2028';

/** A small project: a source, a staging model, a mart with column and model tests, a report, a singular test. */
export const DOCS_PROJECT: Record<string, string> = {
  'sluice.yml': 'name: docshop\nmodels:\n  +materialized: table\n',
  'models/sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: orders
        description: Raw orders.
`,
  'models/staging/stg_orders.sql': "select * from {{ source('raw', 'orders') }}\n",
  'models/marts/fct_orders.sql': "select order_id, amount from {{ ref('stg_orders') }}\n",
  'models/marts/report.sql': "select count(*) as n from {{ ref('fct_orders') }}\n",
  'models/other/unrelated.sql': 'select 1 as id\n',
  'models/staging/schema.yml': `version: 2
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests: [not_null]
`,
  'models/marts/schema.yml': `version: 2
models:
  - name: fct_orders
    description: ${JSON.stringify(`Orders. ${EVIL}`)}
    columns:
      - name: order_id
        description: The order's key.
        data_tests: [unique, not_null]
      - name: amount
        data_tests:
          - accepted_values:
              values: [10, 7]
              quote: false
              config:
                severity: warn
`,
  'tests/assert_report_counts.sql': "select * from {{ ref('fct_orders') }} join {{ ref('report') }} on false\n",
};
