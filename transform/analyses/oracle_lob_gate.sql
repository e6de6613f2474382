{#- Never run: `dbt compile` renders it so the tests' Oracle gate can check that the DW merge and
    the snapshot select never compare, group, order or hash a CLOB directly (ORA-00932, ORA-22835).
    No current tap has a CLOB column (strings without maxLength are VARCHAR2(4000 CHAR)), so this
    gives the rule a column to catch: `notes` is a CLOB, `spec` a JSON document. -#}
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
    incremental=true,
  )
}}
