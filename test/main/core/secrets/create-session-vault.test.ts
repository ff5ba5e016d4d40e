import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../src/main/core/clock';
import { OWASP_FLOOR } from '../../../../src/main/core/secrets/argon2-params';
import { createSessionVault } from '../../../../src/main/core/secrets/create-session-vault';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { tokens, uniqueService } from './vault-fixtures';

describe('createSessionVault', () => {
  const secrets = createKeytarSecretStore({ service: uniqueService('wiring') });
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-wiring-'));
  afterEach(async () => {
    for (const entry of await secrets.list()) await secrets.delete(entry);
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals under the policy parameters at the real OWASP floor and unlocks', async () => {
    const db = openDatabase(join(dir, 'fieldkey.db'));
    const policy = { pin: { minLength: 6, maxAttempts: 5 }, maxAccounts: 2, argon2: { ...OWASP_FLOOR }, offlineToken: 'access' as const };
    const vault = createSessionVault({ db, policy, clock: systemClock, secrets });
    expect(await vault.prepareKdf()).toEqual(OWASP_FLOOR);
    const id = vault.addAccount({ issuer: 'acme.com', subject: 'alice', displayName: 'Alice' }).id;
    await vault.createSession(id, '482915', tokens);
    vault.lock(id);
    expect(db.prepare('SELECT kdf_memory_kib AS m, kdf_iterations AS t, kdf_parallelism AS p FROM sealed_sessions').get()).toEqual({
      m: 19456,
      t: 2,
      p: 1,
    });
    expect((await vault.unlock(id, '482915')).tokens()).toEqual(tokens);
    await vault.settle();
    db.close();
  });
});
