import { describe, expect, it } from 'vitest';
import { mainWindowOptions } from '../../../src/main/shell/window-options';

describe('mainWindowOptions', () => {
  const options = mainWindowOptions({ preloadPath: '/app/out/preload/index.cjs', production: true });
  const web = options.webPreferences!;

  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['webviewTag', false],
    ['experimentalFeatures', false],
    ['navigateOnDragDrop', false],
    ['devTools', false],
  ] as const)('sets %s to %s', (key, value) => {
    expect(web[key]).toBe(value);
  });

  it('loads the given preload and nothing else from disk', () => {
    expect(web.preload).toBe('/app/out/preload/index.cjs');
    expect(web).not.toHaveProperty('additionalArguments');
    expect(web).not.toHaveProperty('enableBlinkFeatures');
  });

  it('allows devtools in development only', () => {
    expect(mainWindowOptions({ preloadPath: '/p.cjs', production: false }).webPreferences!.devTools).toBe(true);
  });

  it('opens hidden until ready, titled FieldKey, at a usable minimum size', () => {
    expect(options).toMatchObject({ show: false, title: 'FieldKey' });
    expect(options.minWidth).toBeGreaterThanOrEqual(640);
  });
});
