import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { electronStub } from './electron-stub';

vi.mock('electron', () => electronStub());

const electron = await import('electron');
const { APP_URL, appResponse, registerAppScheme, resolveAppPath } = await import('../../../src/main/shell/app-protocol');

const ROOT = '/srv/fieldkey/renderer';

describe('resolveAppPath', () => {
  it.each([
    ['app://fieldkey/', 'index.html'],
    ['app://fieldkey', 'index.html'],
    ['app://fieldkey/index.html', 'index.html'],
    ['app://fieldkey/index.html?x=1#top', 'index.html'],
    ['app://fieldkey/assets/index-Dw9X.js', 'assets/index-Dw9X.js'],
    ['app://fieldkey/assets/a%20b.css', 'assets/a b.css'],
    ['APP://FIELDKEY/assets/x.js', 'assets/x.js'],
    ['/', 'index.html'],
    ['/assets/x.js?v=2', 'assets/x.js'],
  ])('serves %s as %s', (url, file) => {
    expect(resolveAppPath(ROOT, url)).toBe(join(ROOT, file));
  });

  it.each([
    ['dot-dot', 'app://fieldkey/../etc/passwd'],
    ['dot-dot in the middle', 'app://fieldkey/assets/../../etc/passwd'],
    ['trailing dot-dot', 'app://fieldkey/assets/..'],
    ['single dot', 'app://fieldkey/./index.html'],
    ['encoded dots', 'app://fieldkey/%2e%2e/etc/passwd'],
    ['encoded dots upper case', 'app://fieldkey/%2E%2E/etc/passwd'],
    ['half-encoded dots', 'app://fieldkey/.%2e/etc/passwd'],
    ['encoded slash', 'app://fieldkey/assets%2f..%2f..%2fetc%2fpasswd'],
    ['encoded backslash', 'app://fieldkey/..%5c..%5cwindows%5cwin.ini'],
    ['double-encoded dots', 'app://fieldkey/%252e%252e/etc/passwd'],
    ['double-encoded slash', 'app://fieldkey/assets%252f..%252fsecret'],
    ['backslash', 'app://fieldkey/..\\..\\etc\\passwd'],
    ['absolute path via double slash', 'app://fieldkey//etc/passwd'],
    ['network path', '//evil.example/x.js'],
    ['empty segment', 'app://fieldkey/assets//x.js'],
    ['trailing slash directory', 'app://fieldkey/assets/'],
    ['windows drive', 'app://fieldkey/C:/Windows/win.ini'],
    ['NUL', 'app://fieldkey/index.html%00.png'],
    ['raw NUL', 'app://fieldkey/index.html\u0000.png'],
    ['control character', 'app://fieldkey/a%0a.js'],
    ['dotfile', 'app://fieldkey/.env'],
    ['malformed escape', 'app://fieldkey/%E0%A4%A'],
    ['other host', 'app://other/index.html'],
    ['host with suffix', 'app://fieldkey.evil/index.html'],
    ['host with port', 'app://fieldkey:8080/index.html'],
    ['file scheme', 'file:///etc/passwd'],
    ['relative', 'index.html'],
    ['absolute file path', '/etc/passwd/../../x'],
    ['too long', 'app://fieldkey/' + 'a'.repeat(5000)],
  ])('refuses %s', (_name, url) => {
    expect(resolveAppPath(ROOT, url)).toBeUndefined();
  });
});

describe('app protocol', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fieldkey-app-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>FieldKey</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.info(1)');
    writeFileSync(join(root, 'assets', 'data.bin'), 'x');
    writeFileSync(join(root, '..', 'fieldkey-outside-secret.txt'), 'secret');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(root, '..', 'fieldkey-outside-secret.txt'), { force: true });
  });

  it('registers app: as a privileged standard, secure scheme that does not bypass CSP', () => {
    registerAppScheme();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, bypassCSP: false }) }),
    ]);
    expect(APP_URL).toBe('app://fieldkey/index.html');
  });

  it('serves files with the strict CSP and nosniff', async () => {
    const response = await appResponse(root, { url: 'app://fieldkey/', method: 'GET' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>FieldKey</title>');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy')!;
    for (const directive of [
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
      "connect-src 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await appResponse(root, { url: 'app://fieldkey/assets/app.js', method: 'GET' });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it.each([
    ['traversal', 'app://fieldkey/../fieldkey-outside-secret.txt', 404],
    ['encoded traversal', 'app://fieldkey/%2e%2e/fieldkey-outside-secret.txt', 404],
    ['missing file', 'app://fieldkey/assets/none.js', 404],
    ['unknown file type', 'app://fieldkey/assets/data.bin', 404],
    ['a directory', 'app://fieldkey/assets', 404],
  ])('answers %s with %i and never the file', async (_name, url, status) => {
    const response = await appResponse(root, { url, method: 'GET' });
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain('secret');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await appResponse(root, { url: 'app://fieldkey/', method: 'POST' })).status).toBe(405);
    const head = await appResponse(root, { url: 'app://fieldkey/', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
