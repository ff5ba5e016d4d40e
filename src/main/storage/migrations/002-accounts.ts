// Filled in by the issue that owns these tables.
export const accountsSchema = `SELECT 1;`;
