select day_number from {{ ref('toolkit', 'toolkit_days') }} where day_number <= 3
