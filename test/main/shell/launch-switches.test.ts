import { describe, expect, it } from 'vitest';
import { launchEnvironment, refusedLaunchMessage, refusedLaunchSwitch } from '../../../src/main/shell/launch-switches';

const EXE = '/opt/FieldKey/fieldkey';

describe('refused launch switches', () => {
  it.each([
    [['--remote-debugging-port=9222'], '--remote-debugging-port'],
    [['--remote-debugging-port', '9222'], '--remote-debugging-port'],
    [['--remote-debugging-pipe'], '--remote-debugging-pipe'],
    [['--js-flags=--allow-natives-syntax'], '--js-flags'],
    [['--inspect'], '--inspect'],
    [['--inspect=127.0.0.1:9229'], '--inspect'],
    [['--inspect-brk'], '--inspect-brk'],
    [['--inspect-port=0'], '--inspect-port'],
    [['--inspect-wait'], '--inspect-wait'],
    [['--inspect-publish-uid=http'], '--inspect-publish-uid'],
    // Chromium also reads one dash, and any case
    [['-remote-debugging-port=9222'], '--remote-debugging-port'],
    [['--Remote-Debugging-Port=9222'], '--remote-debugging-port'],
    [['--INSPECT'], '--inspect'],
    // after harmless switches or a CLI command
    [['--no-sandbox', '--remote-debugging-port=0'], '--remote-debugging-port'],
    [['doctor', '--json', '--inspect'], '--inspect'],
  ])('refuses %j', (args, name) => {
    expect(refusedLaunchSwitch([EXE, ...args], {}, 'linux')).toEqual({ source: 'command line', name });
  });

  it('refuses /switch spellings on Windows only', () => {
    expect(refusedLaunchSwitch(['C:\\FieldKey\\FieldKey.exe', '/remote-debugging-port=9222'], {}, 'win32')).toEqual({
      source: 'command line',
      name: '--remote-debugging-port',
    });
    expect(refusedLaunchSwitch([EXE, 'policy', 'check', '/inspect/policy.json'], {}, 'linux')).toBeUndefined();
  });

  it.each(['--inspect', '--inspect-brk=9229', '--max-old-space-size=512 --inspect-port=0', '  --Inspect  '])(
    'refuses NODE_OPTIONS %j',
    (options) => {
      expect(refusedLaunchSwitch([EXE], { NODE_OPTIONS: options }, 'linux')).toMatchObject({
        source: 'NODE_OPTIONS',
        name: expect.stringMatching(/^--inspect/),
      });
    },
  );

  it.each([
    [[]],
    [['--no-sandbox']],
    [['--enable-logging']],
    [['--remote-debugging-address=127.0.0.1']],
    [['doctor', '--json']],
    [['verify', '--jwks', 'jwks.json', 'eyJhbGciOiJFUzI1NiJ9.x.y']],
    [['policy', 'check', '/etc/fieldkey/policy.json']],
    [['-']],
    [['--']],
  ])('lets %j start', (args) => {
    expect(refusedLaunchSwitch([EXE, ...args], { NODE_OPTIONS: '--max-old-space-size=512' }, 'linux')).toBeUndefined();
  });

  it('skips the executable itself', () => {
    expect(refusedLaunchSwitch(['--inspect'], {}, 'linux')).toBeUndefined();
  });

  it('names the switch but never its value', () => {
    const refused = refusedLaunchSwitch([EXE, '--js-flags=--secret-value'], {}, 'linux')!;
    const message = refusedLaunchMessage(refused);
    expect(message).toContain('--js-flags');
    expect(message).not.toContain('secret-value');
  });
});

describe('launch environment', () => {
  const env = { FIELDKEY_POLICY: '/home/tech/policy.json', FIELDKEY_DATA_DIR: '/tmp/fk', HOME: '/home/tech' };

  it('drops FIELDKEY_POLICY in a packaged app and keeps everything else', () => {
    expect(launchEnvironment(env, true)).toEqual({ FIELDKEY_DATA_DIR: '/tmp/fk', HOME: '/home/tech' });
    expect(env.FIELDKEY_POLICY).toBe('/home/tech/policy.json');
  });

  it('keeps FIELDKEY_POLICY in a development build', () => {
    expect(launchEnvironment(env, false)).toBe(env);
  });
});
