select * from (values
  (1, 10, 'placed', 100.0),
  (2, 10, 'shipped', 50.5),
  (3, 11, 'placed', 20.0),
  (4, 12, 'returned', 5.0)
) as t(order_id, customer_id, status, amount)
