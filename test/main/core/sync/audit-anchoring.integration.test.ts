/**
 * The audit chain anchored at the Field API, wired as in the app (run under scripts/with-keyring.sh):
 * the demo IdP and the demo Field API on 127.0.0.1, Chromium as the system browser, a real SQLite
 * file and Secret Service (test/main/core/auth/service-harness.ts). Under test: the checkpoint sent
 * at a check-in, a truncated log found against the server's checkpoint after the reconnect
 * check-in, the stored mismatch in `fieldkey doctor` and `fieldkey audit verify`, and the server's
 * checkpoint never moved back.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainHolds,
  DEVICE_ID_PATTERN,
  readAnchorMismatch,
  readAuditHead,
  readDeviceId,
} from '../../../../src/main/core/audit/audit-checkpoints';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import type { FetchFn } from '../../../../src/main/core/oauth/http-client';
import { AuditAnchoring } from '../../../../src/main/core/sync/audit-anchoring';
import { createAuditCommand } from '../../../../src/main/cli/audit-command';
import { main } from '../../../../src/main/cli/index';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { runCli } from '../../../helpers/cli-run';
import { movableClock, openTempDatabase } from '../../../helpers/temp-database';
import { uniqueService } from '../secrets/vault-fixtures';
import type { FieldApi } from '../../../../field-api/field-api';
import type { FieldApiClient } from '../../../../src/main/core/sync/api-client';
import type { ServiceHarness } from '../auth/service-harness';
import { apiClient, PIN, startServiceWithFieldApi, stopServiceWithFieldApi, unlocked, until } from './service-with-field-api';

let browser: Browser;
let h: ServiceHarness;
let api: FieldApi;
let tess: string;

/** A client with the unlocked account's session, as the app's. */
function client(): FieldApiClient {
  return apiClient(h, tess);
}

const deviceId = (): string => readDeviceId(h.db)!;
const env = () => ({ FIELDKEY_POLICY: h.policyFile, FIELDKEY_DATA_DIR: h.dir, FIELDKEY_KEYCHAIN_SERVICE: h.keychainService });

/** `fieldkey audit verify` with a keychain of its own (empty), so only the chain and the anchor speak. */
function verifyWithoutKeys(args: string[]) {
  const service = uniqueService('anchor-cli');
  return runCli(createAuditCommand({ secretStore: () => createKeytarSecretStore({ service }) }), ['verify', ...args], { env: env() });
}

beforeAll(async () => {
  ({ browser, h, api, tess } = await startServiceWithFieldApi());
});

afterAll(() => stopServiceWithFieldApi({ browser, h, api }));

describe('the audit chain anchored at the Field API', () => {
  it('gives the installation a stable device id the API accepts', () => {
    const id = deviceId();
    expect(id).toMatch(DEVICE_ID_PATTERN);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(readDeviceId(h.db)).toBe(id);
  });

  it('sends the chain head as a checkpoint at the sign-in check-in', async () => {
    await h.signInAs('tech1');
    await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
    await h.service.setPin(PIN, PIN);
    await h.waitFor(unlocked, 'unlocked');
    await until('a checkpoint logged', () => h.logLines.some((line) => /^audit checkpoint \(check-in\): seq \d+ recorded$/.test(line)));
    const server = await client().getAuditCheckpoint(deviceId());
    expect(server).toBeDefined();
    expect(server!.seq).toBeGreaterThan(0);
    expect(chainHolds(h.db, server!)).toBe(true);
    // Sent again by hand: the head as it is now, recorded (or already recorded) and read back.
    const outcome = await h.noteSync.anchoring.anchor(tess);
    const head = readAuditHead(h.db);
    expect(outcome).toMatchObject({ kind: 'sent', head });
    expect(await client().getAuditCheckpoint(deviceId())).toEqual(head);
    expect(readAnchorMismatch(h.db)).toBeUndefined();
  });

  it('fieldkey audit verify without a session: the chain intact, the server not checked (no session)', async () => {
    const result = await verifyWithoutKeys([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^audit log intact: /);
    expect(result.stdout).toContain('not checked against the server (no session).');
    const json = await verifyWithoutKeys(['--json']);
    expect(json.code).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout) as object)).toEqual(['ok', 'rows', 'anchor', 'head']);
  });

  it('the API refuses a lower checkpoint with 409, which the client returns as a conflict', async () => {
    const head = readAuditHead(h.db);
    const answer = await client().postAuditCheckpoint(deviceId(), { seq: head.seq - 1, hash: 'a'.repeat(64) });
    expect(answer).toEqual({ kind: 'conflict', error: 'checkpoint_regressed', current: head });
  });

  it('finds a truncated log at the reconnect check-in, stores the mismatch and leaves the server checkpoint alone', async () => {
    const anchored = await client().getAuditCheckpoint(deviceId());
    expect(anchored).toEqual(readAuditHead(h.db));
    await h.idp.stop();
    await h.waitFor((s) => unlocked(s) && !s.online, 'offline', 20_000);
    // Someone with the file removes the newest rows (the triggers dropped first, as an attacker would).
    const raw = new BetterSqlite3(join(h.dir, 'fieldkey.db'));
    raw.exec('DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_append_only_delete;');
    raw.prepare('DELETE FROM audit_events WHERE seq > ?').run(anchored!.seq - 2);
    raw.close();
    expect(chainHolds(h.db, anchored!)).toBe(false);

    await h.startIdp();
    await h.waitFor((s) => unlocked(s) && s.online, 'online again', 20_000);
    await until('the mismatch stored', () => readAnchorMismatch(h.db) !== undefined);
    expect(readAnchorMismatch(h.db)).toMatchObject({ seq: anchored!.seq, hash: anchored!.hash });
    expect(
      h.logLines.some((line) => line.startsWith(`audit anchor mismatch: the Field API's audit checkpoint (seq ${anchored!.seq},`)),
    ).toBe(true);

    // Later check-ins send nothing: the server keeps the checkpoint that shows what the chain was.
    expect(await h.noteSync.anchoring.anchor(tess)).toMatchObject({ kind: 'mismatch', mismatch: { seq: anchored!.seq } });
    expect(await client().getAuditCheckpoint(deviceId())).toEqual(anchored);
  });

  it('fieldkey doctor reports audit_anchor_mismatch as a problem', async () => {
    const result = await runCli(main, ['doctor', '--json'], { env: env() });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { audit: { status: string; findings: { code: string; severity: string }[] } };
    expect(report.audit.status).toBe('problem');
    expect(report.audit.findings).toContainEqual(expect.objectContaining({ code: 'audit_anchor_mismatch', severity: 'problem' }));
  });

  it('fieldkey audit verify reports the log tampered (exit 1) with the reason, in text and in the same JSON shape', async () => {
    const text = await verifyWithoutKeys([]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^audit log TAMPERED: /);
    expect(text.stdout).toContain("the Field API's audit checkpoint (seq ");
    expect(text.stdout).toContain('rows were removed from its end or rewritten since it was sent');
    const json = await verifyWithoutKeys(['--json']);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout) as { ok: boolean; rows: number; problems: { seq: number; problem: string; detail: string }[] };
    expect(Object.keys(result)).toEqual(['ok', 'rows', 'problems']);
    expect(result.ok).toBe(false);
    const mismatch = readAnchorMismatch(h.db)!;
    expect(result.problems).toContainEqual({
      seq: mismatch.seq,
      problem: expect.stringMatching(/^(deleted|edited)$/),
      detail: expect.stringContaining(`seq ${mismatch.seq}`),
    });
  });

  it('treats a 409 to the head it sends as the mismatch, without failing (an older copy of the database put back)', async () => {
    const copy = openTempDatabase();
    try {
      copy.db.prepare('UPDATE installation SET device_id = ? WHERE id = 1').run(deviceId());
      const log = new AuditLog(copy.db, movableClock('2025-03-01T08:00:00Z'));
      log.append('unlock_ok', { account: tess, details: { access: 'full' } });
      log.append('unlock_ok', { account: tess, details: { access: 'full' } });
      const before = await client().getAuditCheckpoint(deviceId());
      const lines: string[] = [];
      // The GET misses the server's checkpoint (as if it arrived between the GET and the POST); the POST meets the real API.
      const missingGet: FetchFn = (input, init) =>
        (init?.method ?? 'GET') === 'GET' && input.includes('/audit-checkpoints')
          ? Promise.resolve(new Response(JSON.stringify({ error: 'no_checkpoint', message: 'none' }), { status: 404 }))
          : fetch(input, init);
      const anchoring = new AuditAnchoring({
        db: copy.db,
        clock: h.clock,
        fetch: missingGet,
        connect: () => h.service.apiCredentials(tess),
        log: (line) => lines.push(line),
      });
      const outcome = await anchoring.anchor(tess);
      expect(outcome).toMatchObject({ kind: 'mismatch', mismatch: { seq: before!.seq, hash: before!.hash } });
      expect(readAnchorMismatch(copy.db)).toMatchObject({ seq: before!.seq });
      expect(lines).toEqual([expect.stringMatching(/^audit anchor mismatch: /)]);
      expect(await client().getAuditCheckpoint(deviceId())).toEqual(before);
    } finally {
      copy.cleanup();
    }
  });

  it('never puts a token in a log line', () => {
    expect(h.leakedTokens()).toEqual([]);
  });
});
