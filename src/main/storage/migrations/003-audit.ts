// Filled in by the issue that owns these tables.
export const auditSchema = `SELECT 1;`;
