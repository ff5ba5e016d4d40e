/**
 * A database that lost its accounts beside a keychain that still holds their entries, with real
 * parts (run under scripts/with-keyring.sh): the demo IdP, the real Secret Service and a zero-byte
 * `fieldkey.db`, as when the file was emptied or replaced outside FieldKey. The app says so on its
 * first screen and in the audit log instead of passing it off as a new install, and keeps the
 * entries (a restored backup needs them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { attemptsEntry, deviceKeyEntry } from '../../../../src/main/core/secrets/secret-store';
import { encodeDeviceKey, generateDeviceKey } from '../../../../src/main/core/secrets/session-crypto';
import { ServiceHarness } from './service-harness';

let h: ServiceHarness;
beforeEach(() => {
  h = new ServiceHarness({});
});
afterEach(() => h.stop());

const secrets = () => createKeytarSecretStore({ service: h.keychainService });

describe('auth service start-up: data lost beside the keychain', () => {
  it('a zero-byte database beside two accounts’ keychain entries: notice local_data_lost, audited, entries kept', async () => {
    const tess = accountIdFor('https://idp.example.test', 'tess');
    const sam = accountIdFor('https://idp.example.test', 'sam');
    await secrets().set(deviceKeyEntry(tess), encodeDeviceKey(generateDeviceKey()));
    await secrets().set(attemptsEntry(tess), 'v1 1 0');
    await secrets().set(deviceKeyEntry(sam), encodeDeviceKey(generateDeviceKey()));
    writeFileSync(join(h.dir, 'fieldkey.db'), '');

    await h.start();
    expect(h.state()).toMatchObject({
      status: 'signed-out',
      notice: {
        code: 'local_data_lost',
        message: expect.stringMatching(/it had 2 account\(s\), but its database was emptied or replaced/),
      },
    });
    expect(h.auditEvents().filter((e) => e.type === 'local_data_lost')).toMatchObject([{ account: null, details: { accounts: 2 } }]);
    expect(h.logLines).toContain('the database holds no accounts, but the keychain holds entries of 2 account(s): their data is gone');
    expect((await secrets().list()).filter((entry) => entry.endsWith('/device-key')).sort()).toEqual(
      [deviceKeyEntry(tess), deviceKeyEntry(sam)].sort(),
    );
  });

  it('a new install (the keychain holds only the installation’s own entries): no notice', async () => {
    await h.start();
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
    await h.service.dispose();
    await h.startService(); // the record MAC key and the audit head are in the keychain now
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
    expect(h.auditTypes()).not.toContain('local_data_lost');
  });
});
