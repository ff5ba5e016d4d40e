/**
 * `npm run test:unit`: the fast inner loop. Every test that needs no browser, no keychain (Secret
 * Service), no demo IdP process and no child process; the whole suite is `npm test`.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/e2e/**',
        'test/renderer/screens.test.ts',
        '**/*.integration.test.ts',
        'test/main/core/secrets/**',
        'test/main/cli/doctor-command.test.ts',
        'test/main/cli/audit-command.test.ts',
        'test/field-api/**',
        'test/idp/**',
        'test/main/app/demo-idp-launcher.test.ts',
        'test/main/adapters/os/linux-screen-lock.test.ts',
        // the keychain, or the demo IdP and Field API as servers
        'test/main/core/audit/audit-keying.test.ts',
        'test/main/core/records/time-records-integrity.test.ts',
        'test/main/core/sync/**',
        'node_modules/**',
      ],
    },
  }),
);
