/**
 * `sync-1000`: the sync engine pushing 1,000 pending note changes (creates, each written by
 * FieldNotes with its outbox row) to the demo Field API over loopback, then pulling, with a real
 * access token of the demo IdP (both in this process, on 127.0.0.1). Each sample starts from a fresh
 * SQLite file holding the 1,000 changes (not timed) and times one `sync()`: per change, the send
 * counted in SQLite, the PUT with its Idempotency-Key and precondition, the answer applied in one
 * transaction; then one GET of every note and the pull. Each pair of samples runs on an empty Field
 * API (a fresh data directory), the engine first, so its pull lists only its own 1,000 notes.
 *
 * Its baseline, `bare-put-1000`, sends the same 1,000 authorized PUTs (same bodies, headers and
 * token) in a bare sequential fetch loop with nothing stored. Samples alternate between the two so
 * both see the same machine load; the ratio is sync-1000's median over the baseline's.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFieldApi } from '../field-api/field-api';
import { startDemoIdp } from '../idp/demo-idp';
import { FieldNotes } from '../src/main/core/notes/field-notes';
import { systemClock } from '../src/main/core/clock';
import { discover } from '../src/main/core/oauth/discovery';
import { JwksSync } from '../src/main/core/oauth/jwks-sync';
import { startSignIn } from '../src/main/core/oauth/sign-in';
import { withDefaults } from '../src/main/core/policy/policy-defaults';
import { openDatabase } from '../src/main/adapters/sqlite/database';
import { DiscoveryCache } from '../src/main/core/records/discovery-cache';
import { JwksStore } from '../src/main/core/records/jwks-store';
import { TimeRecords } from '../src/main/core/records/time-records';
import type { ApiCredentials } from '../src/main/core/sync/api-client';
import { SyncEngine } from '../src/main/core/sync/sync-engine';
import { median, type BenchResult } from './harness';
import { formLogin } from './online.bench';

const CHANGES = 1000;
const SAMPLES = 5;
const WARMUP = 1;
const ACCOUNT = 'bench-account';

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-sync-'));
  // A token that outlives the run: the bench measures pushing, not refreshing.
  const idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp'), accessTokenTtlSeconds: 3600 });
  let api = await startFieldApi({ port: 0, dataDir: join(dir, 'api-0'), issuer: idp.issuer });
  try {
    const { accessToken, expiresAt } = await signInTech1(dir, idp.issuer, idp.clientId);
    const credentials: ApiCredentials = {
      tokens: () => ({ accessToken, expiresAt }),
      refresh: async () => ({ ok: true }),
      access: async () => 'full',
    };

    let sample = 0;
    const engineRun = async (): Promise<number> => {
      const db = openDatabase(join(dir, `laptop-${sample++}.db`));
      try {
        const notes = new FieldNotes(db, systemClock, async () => 'full' as const);
        for (let i = 0; i < CHANGES; i++) await notes.create(ACCOUNT, `Note ${i}`, `Change ${i} of the sync bench.`);
        const engine = new SyncEngine({
          db,
          clock: systemClock,
          fetch,
          connect: () => ({ baseUrl: api.url, credentials }),
          log: () => undefined,
        });
        const start = performance.now();
        const result = await engine.sync(ACCOUNT);
        const elapsed = performance.now() - start;
        if (result.pushed !== CHANGES || result.error !== null)
          throw new Error(`the sync pushed ${result.pushed} (${result.error ?? 'no error'})`);
        return elapsed;
      } finally {
        db.close();
      }
    };
    const bareRun = async (): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < CHANGES; i++) {
        const response = await fetch(`${api.url}/v1/notes/${randomUUID()}`, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'idempotency-key': randomUUID(),
            'if-none-match': '*',
          },
          body: JSON.stringify({ title: `Note ${i}`, text: `Change ${i} of the sync bench.` }),
        });
        await response.text();
        if (response.status !== 201) throw new Error(`bare PUT answered ${response.status}`);
      }
      return performance.now() - start;
    };

    const engine: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Each pair on an empty server, the engine first: its pull then lists its own 1,000 notes only.
      await api.stop();
      api = await startFieldApi({ port: 0, dataDir: join(dir, `api-${i + 1}`), issuer: idp.issuer });
      const e = await engineRun();
      const b = await bareRun();
      if (i >= WARMUP) {
        bare.push(b);
        engine.push(e);
      }
    }
    const engineMedian = median(engine);
    const bareMedian = median(bare);
    return [
      {
        name: 'sync-1000',
        median: engineMedian,
        unit: 'ms',
        ratio: engineMedian / bareMedian,
        baseline: 'bare-put-1000',
        note:
          `One sync of ${CHANGES} pending creates to the demo Field API on 127.0.0.1, median of ${SAMPLES} (after ${WARMUP} warm-up): the outbox pushed in order ` +
          '(send counted, PUT with Idempotency-Key and If-None-Match, answer applied in one transaction), then one GET of all notes and the pull. ' +
          `${(engineMedian / CHANGES).toFixed(2)} ms per change.`,
      },
      {
        name: 'bare-put-1000',
        median: bareMedian,
        unit: 'ms',
        note: `The same ${CHANGES} authorized PUTs in a sequential fetch loop, nothing stored, interleaved with sync-1000's samples.`,
      },
    ];
  } finally {
    await api.stop();
    await idp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real sign-in of tech1 at the demo IdP (its login form driven with fetch), for its access token. */
async function signInTech1(dir: string, issuer: string, clientId: string): Promise<{ accessToken: string; expiresAt: number }> {
  const db = openDatabase(join(dir, 'sign-in.db'));
  try {
    const policy = withDefaults({ issuer, clientId });
    const http = { fetch };
    const discoveryCache = new DiscoveryCache(db, systemClock);
    const metadata = () => discover({ policy, http, cache: discoveryCache });
    const jwks = new JwksSync({
      policy,
      http,
      clock: systemClock,
      store: new JwksStore(db, systemClock),
      jwksUri: async () => (await metadata()).jwksUri,
    });
    let browser: Promise<void> = Promise.resolve();
    const result = await startSignIn({
      policy,
      http,
      clock: systemClock,
      discoveryCache,
      jwks,
      recorder: new TimeRecords(db),
      openExternal: async (url) => {
        browser = formLogin(url, new URL(url).searchParams.get('redirect_uri')!, () => undefined);
      },
    }).result;
    await browser;
    const { accessToken, expiresAt } = result.tokens;
    if (!accessToken || expiresAt === undefined) throw new Error('the sign-in returned no access token');
    return { accessToken, expiresAt };
  } finally {
    db.close();
  }
}
