/**
 * The `fieldkey` command as a real process: bin/fieldkey.mjs running the bundle scripts/build-cli.ts
 * makes. Tests that spawn it call `buildCliBundle()` first, so they run the current sources.
 */
import { join } from 'node:path';
import { buildCli } from '../../scripts/build-cli';
import { REPO } from './tsx-process';

export const FIELDKEY_BIN = join(REPO, 'bin', 'fieldkey.mjs');

/** Builds out/cli/fieldkey.mjs from the sources (a fraction of a second). */
export async function buildCliBundle(): Promise<void> {
  await buildCli();
}
