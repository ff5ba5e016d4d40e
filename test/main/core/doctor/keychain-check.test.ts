import { describe, expect, it } from 'vitest';
import { checkKeychain, KEYCHAIN_PROBE_ENTRY } from '../../../../src/main/core/doctor/keychain-check';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { memorySecretStore, unreachableSecretStore } from './doctor-fixtures';

/** Records every call; `get` answers with `answer`. */
function recording(answer: () => Promise<string | null>): SecretStore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    get: (entry) => {
      calls.push(`get ${entry}`);
      return answer();
    },
    set: async (entry) => void calls.push(`set ${entry}`),
    delete: async (entry) => (calls.push(`delete ${entry}`), false),
    list: async () => (calls.push('list'), []),
  };
}

describe('checkKeychain', () => {
  it('reachable: a read, a write and a delete of one entry no account uses, nothing listed', async () => {
    const store = recording(async () => null);
    expect(await checkKeychain(store, 'FieldKey')).toEqual({
      status: 'ok',
      findings: [],
      skippedBecause: null,
      service: 'FieldKey',
      reachable: true,
      errorCode: null,
      message: null,
    });
    expect(store.calls).toEqual([`get ${KEYCHAIN_PROBE_ENTRY}`, `set ${KEYCHAIN_PROBE_ENTRY}`, `delete ${KEYCHAIN_PROBE_ENTRY}`]);
    expect(KEYCHAIN_PROBE_ENTRY).not.toMatch(/^[A-Za-z0-9_-]{43}\//);
  });

  it('an entry that happens to exist is not reported', async () => {
    const store = memorySecretStore();
    store.entries.set(KEYCHAIN_PROBE_ENTRY, 'whatever-it-holds');
    expect(JSON.stringify(await checkKeychain(store, 'FieldKey'))).not.toContain('whatever-it-holds');
  });

  it('unreachable: keychain_unavailable with the adapter’s message', async () => {
    const section = await checkKeychain(
      unreachableSecretStore('No OS keychain is reachable (no D-Bus). Install a Secret Service.'),
      'FieldKey',
    );
    expect(section).toMatchObject({
      status: 'problem',
      reachable: false,
      errorCode: 'keychain_unavailable',
      message: 'No OS keychain is reachable (no D-Bus). Install a Secret Service.',
      findings: [{ severity: 'problem', code: 'keychain_unavailable' }],
    });
  });

  it('reads that answer "no such entry" but a write that fails: keychain_locked, not reachable', async () => {
    const store = { ...recording(async () => null), set: () => Promise.reject(new Error('Cannot create an item in a locked collection')) };
    const section = await checkKeychain(store, 'FieldKey');
    expect(section).toMatchObject({
      status: 'problem',
      reachable: false,
      errorCode: 'keychain_locked',
      findings: [{ severity: 'problem', code: 'keychain_locked' }],
    });
    expect(section.message).toMatch(/locked: it reads as empty and refuses writes/);
    expect(section.message).not.toContain('locked collection');
  });

  it('a keychain that never answers (locked, waiting for a prompt) times out', async () => {
    const section = await checkKeychain(
      recording(() => new Promise(() => undefined)),
      'FieldKey',
      50,
    );
    expect(section).toMatchObject({
      reachable: false,
      errorCode: 'keychain_unavailable',
      message: expect.stringMatching(/did not answer within 0.05 s; it may be locked/),
    });
  });

  it('an unexpected error does not leak its text', async () => {
    const section = await checkKeychain(
      recording(() => Promise.reject(new Error('raw native failure with details'))),
      'FieldKey',
    );
    expect(section).toMatchObject({ reachable: false, errorCode: 'internal_error', message: 'An unexpected error occurred.' });
  });
});
