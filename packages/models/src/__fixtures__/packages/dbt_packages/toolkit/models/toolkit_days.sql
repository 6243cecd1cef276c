{#- A package's model sees the package's vars, under the root project's `vars: toolkit:` block. -#}
select day_number, '{{ var('toolkit_label_prefix') }}' as label_prefix from ({{ toolkit.series(5) }}) as days
