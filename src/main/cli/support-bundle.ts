/**
 * `fieldkey doctor --bundle FILE`: what support asks a laptop for, in one file. It is a single JSON
 * document rather than a zip: every part is text (the doctor report, the log's tail, versions), it
 * stays small (the tail is capped at LOG_TAIL_BYTES), it opens in any editor or `jq` without
 * unpacking, and it can be searched for a leaked secret with `grep` as it is, which is how its test
 * checks it. No archive library is needed in the app for it.
 *
 * Never a secret: the doctor report holds none by construction (doctor-report.ts), and the log tail
 * goes through `redactSecrets` once more, so even a log written by an older FieldKey, or edited by
 * hand, gives up no token, key or PIN. No environment variables, no policy file contents beyond what
 * doctor reports, no database rows. The file is created 0600.
 */
import { release, type as osType, version as osVersion } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactSecrets } from '../core/audit/secret-shapes';
import { logDir, type Env } from '../core/environment';
import { LOG_FILE_NAME, tailOfLog } from '../adapters/logging/log-file';
import type { DoctorReport } from '../core/doctor/doctor-report';

export const SUPPORT_BUNDLE_VERSION = 1;
/** The newest part of the log kept in a bundle. */
export const LOG_TAIL_BYTES = 256 * 1024;

export interface SupportBundle {
  bundleVersion: number;
  createdAt: string;
  versions: {
    fieldkey: string;
    /** Set when the packaged app ran the command. */
    electron: string | null;
    chrome: string | null;
    node: string;
    os: { platform: NodeJS.Platform; type: string; release: string; version: string; arch: string };
  };
  doctor: DoctorReport;
  log: {
    /** Where the log was read from. */
    file: string;
    /** Its last lines (at most LOG_TAIL_BYTES, older rotated files included), redacted again; '' when there is no log yet. */
    tail: string;
  };
}

export interface BundleFacts {
  report: DoctorReport;
  env: Env;
  /** The FieldKey version the entry point knows ('unknown' when it does not). */
  appVersion: string;
  now: Date;
  platform?: NodeJS.Platform;
}

export function supportBundle(facts: BundleFacts): SupportBundle {
  const platform = facts.platform ?? process.platform;
  const dir = logDir(facts.env, platform);
  return {
    bundleVersion: SUPPORT_BUNDLE_VERSION,
    createdAt: facts.now.toISOString(),
    versions: {
      fieldkey: facts.appVersion,
      electron: process.versions.electron ?? null,
      chrome: process.versions.chrome ?? null,
      node: process.versions.node,
      os: { platform, type: osType(), release: release(), version: osVersion(), arch: process.arch },
    },
    doctor: facts.report,
    log: { file: join(dir, LOG_FILE_NAME), tail: redactSecrets(tailOfLog(dir, LOG_TAIL_BYTES)) },
  };
}

/** Writes the bundle as indented JSON, owner-only. */
export function writeSupportBundle(file: string, bundle: SupportBundle): void {
  writeFileSync(file, JSON.stringify(bundle, null, 2) + '\n', { mode: 0o600 });
}
