/**
 * The sync engine with real parts: FieldNotes and the outbox in real SQLite files (one per
 * "laptop"), the real demo Field API and demo IdP on 127.0.0.1, real tokens and refreshes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { startFieldApi, type FieldApi } from '../../../../field-api/field-api';
import { FieldNotes } from '../../../../src/main/core/notes/field-notes';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { FieldApiClient } from '../../../../src/main/core/sync/api-client';
import { REJECTED_ROLE_MESSAGE, SyncEngine } from '../../../../src/main/core/sync/sync-engine';
import { conflictTitle } from '../../../../src/main/core/sync/sync-store';
import { launchChromium } from '../../../helpers/browser-sign-in';
import { DemoIdpTokens } from '../../../helpers/demo-idp-tokens';
import { TokenCredentials } from '../../../helpers/token-credentials';

const ACCOUNT = 'acct-tech';
const clock = { now: () => new Date() };

let dir: string;
let idp: DemoIdp;
let api: FieldApi;
let apiPort: number;
let browser: Browser;
let tokens: DemoIdpTokens;

interface Laptop {
  db: Database;
  notes: FieldNotes;
  engine: SyncEngine;
  credentials: TokenCredentials;
  log: string[];
}

async function laptop(username: string, name: string): Promise<Laptop> {
  const db = openDatabase(join(dir, `${name}.db`));
  const credentials = new TokenCredentials(tokens, await tokens.signIn(username));
  const log: string[] = [];
  const engine = new SyncEngine({
    db,
    clock,
    fetch: (input, init) => fetch(input, init),
    connect: () => ({ baseUrl: api.url, credentials }),
    log: (line) => log.push(line),
    timeoutMs: 3000,
  });
  const notes = new FieldNotes(db, clock, async () => credentials.decision);
  return { db, notes, engine, credentials, log };
}

function outboxDepth(l: Laptop): number {
  return (l.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
}

async function serverNotes(l: Laptop): Promise<{ id: string; title: string; text: string; version: number }[]> {
  return new FieldApiClient({ baseUrl: api.url, fetch, credentials: l.credentials, clock }).listNotes();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-sync-engine-'));
  idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp') });
  api = await startFieldApi({ port: 0, dataDir: join(dir, 'api'), issuer: idp.issuer });
  apiPort = api.port;
  browser = await launchChromium();
  tokens = await DemoIdpTokens.start(() => idp, browser);
});

afterAll(async () => {
  await tokens?.close();
  await browser?.close();
  await api?.stop();
  await idp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SyncEngine', () => {
  it('pushes creates and edits in order, stores the versions, and a second laptop of the same user pulls them', async () => {
    const a = await laptop('tech1', 'push-a');
    const pump = await a.notes.create(ACCOUNT, 'Pump 4', 'Seal replaced.');
    await a.notes.create(ACCOUNT, 'Valve 12', 'Checked.');
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 2, error: null });
    await a.notes.update(ACCOUNT, pump.id, 'Pump 4', 'Seal replaced, tested.');
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 1, error: null });
    expect((await a.notes.list(ACCOUNT)).map((n) => [n.title, n.syncState])).toEqual([
      ['Pump 4', 'synced'],
      ['Valve 12', 'synced'],
    ]);
    expect(outboxDepth(a)).toBe(0);
    expect(a.engine.status(ACCOUNT)).toMatchObject({ configured: true, lastError: null, pending: 0 });
    // Applying answers commits without waiting for the disk; every other commit still does (FULL = 2).
    expect(a.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(a.engine.status(ACCOUNT).lastSyncAt).not.toBeNull();
    const versions = a.db.prepare('SELECT title, version FROM field_notes ORDER BY id').all();
    expect(versions).toEqual([
      { title: 'Pump 4', version: 2 },
      { title: 'Valve 12', version: 1 },
    ]);

    const b = await laptop('tech1', 'push-b');
    expect(await b.engine.sync(ACCOUNT)).toMatchObject({ pulled: 2, error: null });
    const pulled = await b.notes.list(ACCOUNT);
    expect(pulled.map((n) => [n.title, n.syncState])).toEqual(
      expect.arrayContaining([
        ['Pump 4', 'synced'],
        ['Valve 12', 'synced'],
      ]),
    );
    expect((await b.notes.get(ACCOUNT, pulled.find((n) => n.title === 'Pump 4')!.id)).text).toBe('Seal replaced, tested.');
    a.db.close();
    b.db.close();
  });

  it('keeps everything while the API is down, then pushes each change once with the same key', async () => {
    const a = await laptop('tech1', 'offline');
    await api.stop();
    const note = await a.notes.create(ACCOUNT, 'Offline note', 'Written in the basement.');
    await a.notes.update(ACCOUNT, note.id, 'Offline note', 'Edited in the basement.');
    const key = (a.db.prepare('SELECT idempotency_key FROM outbox').get() as { idempotency_key: string }).idempotency_key;
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 0, error: 'api_unreachable' });
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 0, error: 'api_unreachable' });
    expect(a.db.prepare('SELECT idempotency_key, attempts, last_error FROM outbox').all()).toEqual([
      { idempotency_key: key, attempts: 2, last_error: 'api_unreachable' },
    ]);
    expect(a.engine.status(ACCOUNT).lastError).toMatchObject({ code: 'api_unreachable' });
    expect((await a.notes.get(ACCOUNT, note.id)).syncState).toBe('pending');

    api = await startFieldApi({ port: apiPort, dataDir: join(dir, 'api'), issuer: idp.issuer });
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 1, error: null });
    expect((await serverNotes(a)).filter((n) => n.title === 'Offline note')).toEqual([
      expect.objectContaining({ text: 'Edited in the basement.', version: 1 }),
    ]);
    a.db.close();
  });

  it('never duplicates a create whose answer was lost: the replay gets the first answer', async () => {
    const a = await laptop('tech1', 'replay');
    const note = await a.notes.create(ACCOUNT, 'Sent once', 'The answer was lost.');
    const row = a.db.prepare('SELECT note_uuid, idempotency_key FROM outbox').get() as { note_uuid: string; idempotency_key: string };
    // The first process sent the request and died before storing the answer.
    a.db.prepare('UPDATE outbox SET attempts = 1').run();
    const first = await new FieldApiClient({ baseUrl: api.url, fetch, credentials: a.credentials, clock }).putNote(row.note_uuid, {
      title: 'Sent once',
      text: 'The answer was lost.',
      idempotencyKey: row.idempotency_key,
      baseVersion: null,
    });
    expect(first).toMatchObject({ kind: 'stored', created: true });
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 1, conflicts: 0, error: null });
    expect((await serverNotes(a)).filter((n) => n.id === row.note_uuid)).toHaveLength(1);
    expect(await a.notes.get(ACCOUNT, note.id)).toMatchObject({ syncState: 'synced', title: 'Sent once' });
    expect((await a.notes.list(ACCOUNT)).filter((n) => n.title.includes('conflict'))).toEqual([]);
    a.db.close();
  });

  it('on 412 keeps both versions: the server one as the note, the local edit as a new conflict note that syncs too', async () => {
    const a = await laptop('tech1', 'conflict-a');
    const b = await laptop('tech1', 'conflict-b');
    const note = await a.notes.create(ACCOUNT, 'Shared pump', 'First text.');
    await a.engine.sync(ACCOUNT);
    await b.engine.sync(ACCOUNT);
    const onB = (await b.notes.list(ACCOUNT)).find((n) => n.title === 'Shared pump')!;
    await b.notes.update(ACCOUNT, onB.id, 'Shared pump', 'Edited on laptop B.');
    await b.engine.sync(ACCOUNT);
    await a.notes.update(ACCOUNT, note.id, 'Shared pump', 'Edited on laptop A.');
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ conflicts: 1, pushed: 1, error: null });

    const titles = (await a.notes.list(ACCOUNT)).map((n) => [n.title, n.syncState]);
    expect(titles).toEqual(
      expect.arrayContaining([
        ['Shared pump', 'synced'],
        [conflictTitle('Shared pump'), 'synced'],
      ]),
    );
    expect((await a.notes.get(ACCOUNT, note.id)).text).toBe('Edited on laptop B.');
    const server = await serverNotes(a);
    expect(server.find((n) => n.title === 'Shared pump')).toMatchObject({ text: 'Edited on laptop B.', version: 2 });
    expect(server.find((n) => n.title === 'Shared pump (conflict, this laptop)')).toMatchObject({
      text: 'Edited on laptop A.',
      version: 1,
    });
    a.db.close();
    b.db.close();
  });

  it('never overwrites a note with a pending local change when pulling', async () => {
    const a = await laptop('tech1', 'pull-a');
    const b = await laptop('tech1', 'pull-b');
    const note = await a.notes.create(ACCOUNT, 'Pull guard', 'v1');
    await a.engine.sync(ACCOUNT);
    await b.engine.sync(ACCOUNT);
    const onB = (await b.notes.list(ACCOUNT)).find((n) => n.title === 'Pull guard')!;
    await b.notes.update(ACCOUNT, onB.id, 'Pull guard', 'v2 from B');
    await b.engine.sync(ACCOUNT);
    await a.notes.update(ACCOUNT, note.id, 'Pull guard', 'local on A');
    a.credentials.decision = 'read-only'; // the change waits; the pull still runs, and must leave it alone
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ pushed: 0, error: 'read_only' });
    expect(await a.notes.get(ACCOUNT, note.id)).toMatchObject({ text: 'local on A', syncState: 'pending' });
    expect(outboxDepth(a)).toBe(1);
    a.db.close();
    b.db.close();
  });

  it('marks a change the server refuses for lack of the role as rejected, keeps the note, and empties the outbox', async () => {
    const a = await laptop('admin', 'rejected');
    const note = await a.notes.create(ACCOUNT, 'No role', 'Kept on the laptop.');
    expect(await a.engine.sync(ACCOUNT)).toMatchObject({ rejected: 1, error: null });
    expect(await a.notes.get(ACCOUNT, note.id)).toMatchObject({
      title: 'No role',
      text: 'Kept on the laptop.',
      syncState: 'rejected',
      rejection: REJECTED_ROLE_MESSAGE,
    });
    expect(outboxDepth(a)).toBe(0);
    expect(a.log.some((line) => /403 insufficient_role/.test(line))).toBe(true);
    for (const token of a.credentials.issued) expect(a.log.join('\n')).not.toContain(token);
    a.db.close();
  });

  it('runs one sync at a time per account; a trigger during a run makes one more run after it', async () => {
    const a = await laptop('tech1', 'single');
    await a.notes.create(ACCOUNT, 'First', '');
    const first = a.engine.sync(ACCOUNT);
    await a.notes.create(ACCOUNT, 'Second', '');
    const second = a.engine.sync(ACCOUNT);
    const third = a.engine.sync(ACCOUNT);
    expect(second).toBe(third);
    const results = await Promise.all([first, second]);
    expect(results.reduce((n, r) => n + r.pushed, 0)).toBe(2);
    expect(outboxDepth(a)).toBe(0);
    a.db.close();
  });

  it('without an API in the policy does nothing and says notes stay on the laptop', async () => {
    const db = openDatabase(join(dir, 'no-api.db'));
    const engine = new SyncEngine({ db, clock, fetch, connect: () => undefined, log: () => undefined });
    const notes = new FieldNotes(db, clock, async () => 'full' as const);
    await notes.create(ACCOUNT, 'Local', '');
    expect(await engine.sync(ACCOUNT)).toEqual({ pushed: 0, conflicts: 0, rejected: 0, pulled: 0, error: null });
    expect(engine.status(ACCOUNT)).toEqual({ configured: false, lastSyncAt: null, lastError: null, pending: 1 });
    db.close();
  });

  it('refuses to sync an account that is not unlocked (not_unlocked)', async () => {
    const db = openDatabase(join(dir, 'locked.db'));
    const engine = new SyncEngine({
      db,
      clock,
      fetch,
      connect: () => ({ baseUrl: api.url, credentials: undefined }),
      log: () => undefined,
    });
    await expect(engine.sync(ACCOUNT)).rejects.toMatchObject({ code: 'not_unlocked' });
    db.close();
  });
});
