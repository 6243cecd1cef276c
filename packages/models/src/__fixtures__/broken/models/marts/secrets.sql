select '{{ env_var('SLUICE_TEST_SURELY_UNSET_VARIABLE') }}' as token
