{#- Never run: the TR2000 snapshot select with a CLOB column, for the tests' Oracle gate (see
    oracle_lob_gate.sql). -#}
{{
  tr2000_snapshot(
    table_name='stg_tr2000_pcs_embedded_notes',
    key=['plant_id', 'pcs'],
    columns=[('plant_id', 'string'), ('pcs', 'string'), ('notes', 'lob')],
  )
}}
