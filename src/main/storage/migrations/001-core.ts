// Filled in by the issue that owns these tables.
export const coreSchema = `SELECT 1;`;
