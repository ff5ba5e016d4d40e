// `npm run build:cli` (and `npm run build`): bundles the `fieldkey` command line
// (src/main/cli/index.ts) into out/cli/fieldkey.mjs with esbuild, so bin/fieldkey.mjs runs it on
// plain Node with the production dependencies only. Those (package.json `dependencies`: the native
// modules, jose, ajv...) and Node's built-ins stay imports; everything else is bundled. The file is
// written beside its final name and renamed, so a concurrent reader never sees half of it.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_ENTRY = join(ROOT, 'src', 'main', 'cli', 'index.ts');
export const CLI_OUTFILE = join(ROOT, 'out', 'cli', 'fieldkey.mjs');

/** The production dependencies: left as imports, installed beside the bundle. */
export function productionDependencies(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(manifest.dependencies ?? {});
}

/**
 * Builds the bundle; resolves to the files it imports at run time that are not Node built-ins
 * (each one a production dependency).
 */
export async function buildCli(outfile: string = CLI_OUTFILE): Promise<string[]> {
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.partial`;
  const result = await build({
    entryPoints: [CLI_ENTRY],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: productionDependencies(),
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    banner: { js: '// Built by scripts/build-cli.mjs from src/main/cli; do not edit.' },
  });
  renameSync(partial, outfile);
  const imports = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path),
  );
  return [...new Set(imports)].sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCli();
  process.stdout.write(`fieldkey CLI built: ${relative(process.cwd(), CLI_OUTFILE)}\n`);
}
