/**
 * A process killed in the middle of an unlock (after the attempt was counted, while Argon2id runs)
 * leaves the attempt counted, in the database and in the keychain.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attemptsEntry } from '../../../../src/main/core/secrets/secret-store';
import { fixedParams, tokens, uniqueService, VaultFixture } from './vault-fixtures';

const child = fileURLToPath(new URL('./fixtures/unlock-and-report.ts', import.meta.url));
// Slow on purpose (about half a second here), so the kill lands while Argon2id runs.
const SLOW = { memoryKiB: 262144, iterations: 4, parallelism: 1 };

function runUntil(args: string[], killOn: string | undefined): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line === killOn) proc.kill('SIGKILL');
      }
    });
    proc.on('error', reject);
    proc.on('close', () => resolve(lines));
  });
}

describe('unlock killed mid-way', () => {
  let f: VaultFixture;
  let id: string;

  beforeEach(async () => {
    f = new VaultFixture(uniqueService('crash'), fixedParams(SLOW));
    id = f.vault.addAccount({ issuer: 'https://idp.example', subject: 'crash', displayName: 'Crash' }).id;
    await f.vault.createSession(id, '482915', tokens);
    f.vault.lock(id);
  });
  afterEach(() => f.cleanup());

  it('keeps each killed attempt counted; the count then limits the attempts left', async () => {
    for (let i = 1; i <= 2; i++) {
      const lines = await runUntil([f.service, f.file, id, '555123'], 'counted');
      expect(lines).toEqual(['counted']); // killed before the PIN was decided
      const row = f.db.prepare('SELECT failures FROM unlock_attempts WHERE account_id = ?').get(id);
      expect(row).toEqual({ failures: i });
      expect(await f.secrets.get(attemptsEntry(id))).toMatch(new RegExp(`^v1 ${i} \\d+$`));
    }
    // Not killed: the wrong PIN is the third failure.
    expect(await runUntil([f.service, f.file, id, '555123'], undefined)).toEqual(['counted', 'done wrong_pin']);
    await f.restart();
    const status = await f.vault.attemptStatus(id);
    expect(status).toMatchObject({ failures: 3, attemptsLeft: 2 });
  });
});
