{#- Never run: the first build (CREATE TABLE AS select) of a DW table with CLOB columns, for the
    tests' Oracle gate (see oracle_lob_gate.sql). -#}
{{
  dw_table(
    source_name='molo',
    table_name='stg_molo_piers',
    key=['id', 'name'],
    columns=[
        ('id', 'integer'),
        ('name', 'string'),
        ('notes', 'lob'),
        ('spec', 'lob'),
        ('depth', 'number'),
        ('opened_at', 'datetime'),
    ],
    incremental=false,
  )
}}
