/**
 * The doctor's Field API section: whether the policy names one, whether it answers (a GET of the
 * base URL WITHOUT a token: any HTTP answer below 500, a 401 included, counts as reachable), and how
 * many note changes wait in each account's outbox. Unreachable is a note, not a problem: a field
 * laptop is often offline, and the outbox keeps every change until it is back.
 */
import type { Policy } from '../policy/policy-types';
import type { FetchFn } from '../oauth/http-client';
import { checked, note, problem, skipped, type ApiSection, type Finding } from './doctor-report';

export const API_PROBE_TIMEOUT_MS = 5_000;

export interface ApiCheckDeps {
  policy: Policy | undefined;
  fetch: FetchFn | undefined;
  /** Changes waiting per account id; undefined when the database has no outbox (yet). */
  outboxDepths: ReadonlyMap<string, number> | undefined;
  timeoutMs?: number;
}

export async function checkApi(deps: ApiCheckDeps): Promise<ApiSection> {
  const outbox = [...(deps.outboxDepths ?? new Map<string, number>())].map(([accountId, depth]) => ({ accountId, depth }));
  const base = { baseUrl: deps.policy?.api?.baseUrl ?? null, reachable: null, httpStatus: null, outbox };
  if (!deps.policy) return { ...base, ...skipped('no valid policy') };
  const api = deps.policy.api;
  if (!api) {
    return { ...base, ...skipped('the policy names no Field API: field notes are kept on this laptop only') };
  }
  if (!deps.fetch) return { ...base, ...skipped('the Field API was not probed') };
  const findings: Finding[] = [];
  let reachable = false;
  let httpStatus: number | null = null;
  try {
    const response = await deps.fetch(api.baseUrl, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? API_PROBE_TIMEOUT_MS),
    });
    await response.body?.cancel();
    httpStatus = response.status;
    reachable = response.status < 500;
    if (!reachable)
      findings.push(problem('api_unavailable', `The Field API at ${api.baseUrl} answered HTTP ${response.status}: it is up but failing.`));
  } catch {
    findings.push(
      note(
        'api_unreachable',
        `The Field API at ${api.baseUrl} did not answer (offline, or the address is wrong). Note changes wait in the outbox until it does.`,
      ),
    );
  }
  const waiting = outbox.reduce((n, row) => n + row.depth, 0);
  if (waiting > 0)
    findings.push(
      note('outbox_pending', `${waiting} note change(s) wait to be sent to the Field API; they go at the next sync of their account.`),
    );
  return { ...base, reachable, httpStatus, ...checked(findings) };
}
