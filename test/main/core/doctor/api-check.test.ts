/**
 * The doctor's Field API section against real servers on 127.0.0.1 (the demo Field API, a server
 * answering 503) and a real database's outbox, through runDoctor's report and its text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFieldApi, type FieldApi } from '../../../../field-api/field-api';
import { FieldNotes } from '../../../../src/main/core/notes/field-notes';
import { checkApi } from '../../../../src/main/core/doctor/api-check';
import { apiBlock } from '../../../../src/main/core/doctor/render-doctor';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { outboxDepths } from '../../../../src/main/core/sync/sync-store';

let dir: string;
let api: FieldApi;
let failing: Server;
let failingUrl: string;
const policy = (baseUrl?: string) =>
  withDefaults({ issuer: 'https://auth.acme.com', clientId: 'c', ...(baseUrl ? { api: { baseUrl } } : {}) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-doctor-api-'));
  api = await startFieldApi({ port: 0, dataDir: join(dir, 'api'), issuer: 'https://auth.acme.com', jwksUrl: 'http://127.0.0.1:9/jwks' });
  failing = createServer((_req, res) => res.writeHead(503).end('{"error":"down"}'));
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await api?.stop();
  await new Promise((resolve) => failing?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('doctor: Field API', () => {
  it('counts an answer without a token (the API refuses or does not know the path) as reachable', async () => {
    const section = await checkApi({ policy: policy(api.url), fetch, outboxDepths: new Map() });
    expect(section).toMatchObject({ status: 'ok', baseUrl: api.url, reachable: true, findings: [] });
    expect(section.httpStatus).toBeGreaterThanOrEqual(400);
    expect(section.httpStatus).toBeLessThan(500);
    const v1 = await checkApi({ policy: policy(`${api.url}/v1/notes`), fetch, outboxDepths: new Map() });
    expect(v1).toMatchObject({ reachable: true, httpStatus: 401 });
  });

  it('notes an API that does not answer, and calls a 5xx a problem', async () => {
    const stopped = await startFieldApi({ port: 0, dataDir: join(dir, 'stopped'), issuer: 'https://auth.acme.com' });
    const url = stopped.url;
    await stopped.stop();
    expect(await checkApi({ policy: policy(url), fetch, outboxDepths: new Map(), timeoutMs: 2000 })).toMatchObject({
      status: 'note',
      reachable: false,
      findings: [{ severity: 'note', code: 'api_unreachable' }],
    });
    expect(await checkApi({ policy: policy(failingUrl), fetch, outboxDepths: new Map() })).toMatchObject({
      status: 'problem',
      reachable: false,
      httpStatus: 503,
      findings: [{ severity: 'problem', code: 'api_unavailable' }],
    });
  });

  it('skips without an API in the policy, and shows the outbox depth per account from the database', async () => {
    expect(await checkApi({ policy: policy(), fetch, outboxDepths: undefined })).toMatchObject({
      status: 'skipped',
      baseUrl: null,
      reachable: null,
    });
    const db = openDatabase(join(dir, 'fieldkey.db'));
    const notes = new FieldNotes(db, { now: () => new Date() }, async () => 'full' as const);
    await notes.create('acct-a', 'One', '');
    await notes.create('acct-a', 'Two', '');
    await notes.create('acct-b', 'Three', '');
    const depths = outboxDepths(db);
    db.close();
    const section = await checkApi({ policy: policy(api.url), fetch, outboxDepths: depths });
    expect(section.outbox).toEqual([
      { accountId: 'acct-a', depth: 2 },
      { accountId: 'acct-b', depth: 1 },
    ]);
    expect(section.findings).toEqual([
      expect.objectContaining({ severity: 'note', code: 'outbox_pending', message: expect.stringContaining('3 note change(s)') }),
    ]);
    expect(apiBlock(section)).toMatch(
      /^Field API {2}NOTE {5}http:\/\/127\.0\.0\.1:\d+: reachable \(HTTP 4\d\d\)\n {2}outbox acct-a +2 change\(s\) waiting\n {2}outbox acct-b +1 change\(s\) waiting\n {2}NOTE outbox_pending: /,
    );
  });
});
