"""The control-plane database: engine, tables, migrations and the embedded Postgres."""
