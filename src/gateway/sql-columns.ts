/** Schema changes of a Durable Object's own SQLite tables: objects stored before a column existed get it on load. */

/** Adds `column` (with its SQL definition) to `table` unless the table has it already. */
export function ensureColumn(sql: SqlStorage, table: string, column: string, definition: string): void {
  const has = sql
    .exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .toArray()
    .some((c) => c.name === column);
  if (!has) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}
