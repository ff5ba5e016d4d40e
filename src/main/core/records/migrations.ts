/**
 * Numbered schema migrations: migration N (1-based) brings `user_version` from N-1 to N. Never edit
 * a migration that has shipped; append a new one. Tables are STRICT.
 */
import { coreSchema } from './migrations/001-core';
import { accountsSchema } from './migrations/002-accounts';
import { auditSchema } from './migrations/003-audit';
import { fieldNotesSchema } from './migrations/004-field-notes';
import { sessionExpirySchema } from './migrations/005-session-expiry';
import { noteSyncSchema } from './migrations/006-note-sync';
import { timeRecordMacsSchema } from './migrations/007-time-record-macs';
import { auditCheckpointsSchema } from './migrations/008-audit-checkpoints';
import { jwksKeyMacsSchema } from './migrations/009-jwks-key-macs';
import { unlockAttemptMacsSchema } from './migrations/010-unlock-attempt-macs';
import { auditVerifiedSchema } from './migrations/011-audit-verified';

export const migrations: readonly string[] = [
  coreSchema,
  accountsSchema,
  auditSchema,
  fieldNotesSchema,
  sessionExpirySchema,
  noteSyncSchema,
  timeRecordMacsSchema,
  auditCheckpointsSchema,
  jwksKeyMacsSchema,
  unlockAttemptMacsSchema,
  auditVerifiedSchema,
];
