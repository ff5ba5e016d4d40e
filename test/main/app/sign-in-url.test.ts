import { describe, expect, it } from 'vitest';
import { isSignInUrl } from '../../../src/main/app/sign-in-url';

describe('isSignInUrl', () => {
  it.each([
    [
      'https endpoint with query',
      'https://idp.example/oauth2/authorize?response_type=code&state=x',
      'https://idp.example/oauth2/authorize',
      true,
    ],
    ['loopback demo IdP over http', 'http://127.0.0.1:9011/auth?client_id=fieldkey-desktop', 'http://127.0.0.1:9011/auth', true],
    ['default port written out', 'https://idp.example:443/authorize?x', 'https://idp.example/authorize', true],
    ['other path', 'https://idp.example/authorize/../admin?x', 'https://idp.example/authorize', false],
    ['path prefix', 'https://idp.example/authorize-evil?x', 'https://idp.example/authorize', false],
    ['other port', 'http://127.0.0.1:9012/auth?x', 'http://127.0.0.1:9011/auth', false],
    ['scheme downgrade', 'http://idp.example/authorize?x', 'https://idp.example/authorize', false],
    ['lookalike host', 'https://idp.example.evil/authorize?x', 'https://idp.example/authorize', false],
    ['userinfo', 'https://idp.example@evil.example/authorize', 'https://idp.example/authorize', false],
    ['fragment', 'https://idp.example/authorize?x#y', 'https://idp.example/authorize', false],
    ['file', 'file:///authorize', 'file:///authorize', false],
    ['javascript', 'javascript:alert(1)//https://idp.example/authorize', 'https://idp.example/authorize', false],
    ['garbage', 'not a url', 'https://idp.example/authorize', false],
    ['bad endpoint', 'https://idp.example/authorize', 'not a url', false],
  ])('%s', (_name, url, endpoint, expected) => {
    expect(isSignInUrl(url, endpoint)).toBe(expected);
  });
});
