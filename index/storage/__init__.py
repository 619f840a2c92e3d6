"""The storage room: the SQLite database and all its SQL — the connection, its one write door and migrations (door),
the bulletins' rows (bulletins), the rows the saved index is built from (snapshot_rows), the schema, and the
read-only probe and copies of the file (dbfile)."""
