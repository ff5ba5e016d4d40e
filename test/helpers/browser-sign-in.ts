/**
 * "Sign in through Chromium": headless Debian Chromium (playwright-core) acting as the user's system
 * browser on the demo IdP's login page. Give it an authorization URL and credentials; it opens the
 * URL, fills "Username"/"Password", presses "Sign in" and returns once the browser was redirected to
 * the app's redirect URI (the loopback listener under test, which must be listening: the helper
 * waits for its answer). No request is intercepted or faked.
 */
import { chromium, type Browser, type BrowserContext, type Request } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Launch headless Debian Chromium. Close it in the test's afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
}

export interface BrowserSignInOptions {
  browser: Browser;
  authorizationUrl: string;
  username: string;
  password: string;
  /**
   * Reuse a context to keep the IdP's session cookie between sign-ins (then the login form may be
   * skipped). Default: a fresh context, closed afterwards, so every sign-in starts signed out.
   */
  context?: BrowserContext;
  /** Where the flow ends. Default: the authorization URL's `redirect_uri` parameter. */
  redirectPrefix?: string;
  /** Default 20 s. */
  timeoutMs?: number;
}

export interface BrowserSignInResult {
  /** The URL the IdP redirected the browser to (with `code`, `state`, `iss`, or `error`). */
  redirectedTo: string;
  /** The redirect URL's query parameters. */
  params: URLSearchParams;
  /** The loopback listener's HTTP status, or null when nothing answered. */
  status: number | null;
  /** Whether the IdP showed its login form (false when an existing session skipped it). */
  loginFormShown: boolean;
}

export class BrowserSignInError extends Error {}

function ignoreLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

async function boundedClose(closing: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    closing.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 5_000);
    }),
  ]);
  clearTimeout(timer);
}

/** Drive the IdP's login form in Chromium; resolves once the browser reached the redirect URI. */
export async function signInThroughBrowser(options: BrowserSignInOptions): Promise<BrowserSignInResult> {
  const timeout = options.timeoutMs ?? 20_000;
  const prefix = options.redirectPrefix ?? new URL(options.authorizationUrl).searchParams.get('redirect_uri');
  if (!prefix) throw new BrowserSignInError('the authorization URL has no redirect_uri; pass redirectPrefix');

  const context = options.context ?? (await options.browser.newContext());
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  try {
    const redirected = ignoreLater(
      page.waitForRequest((request: Request) => request.isNavigationRequest() && request.url().startsWith(prefix), {
        timeout,
      }),
    );
    const idpError = ignoreLater(
      page
        .getByRole('heading', { name: /^(Sign-in error|Sign-in expired|Something went wrong)$/ })
        .waitFor({ timeout })
        .then(async () => {
          throw new BrowserSignInError(`the IdP showed an error page: ${(await page.textContent('body'))?.trim() ?? ''}`);
        }),
    );
    ignoreLater(page.goto(options.authorizationUrl, { timeout }));

    const loginForm = ignoreLater(
      page
        .getByLabel('Username')
        .waitFor({ state: 'visible', timeout })
        .then(() => true),
    );
    const loginFormShown = await Promise.race([loginForm, redirected.then(() => false), idpError]);

    if (loginFormShown) {
      await page.getByLabel('Username').fill(options.username);
      await page.getByLabel('Password').fill(options.password);
      const rejected = ignoreLater(
        page
          .getByRole('alert')
          .waitFor({ timeout })
          .then(async () => {
            throw new BrowserSignInError(`the IdP refused the sign-in: ${(await page.getByRole('alert').textContent())?.trim() ?? ''}`);
          }),
      );
      await page.getByRole('button', { name: 'Sign in' }).click();
      await Promise.race([redirected, rejected, idpError]);
    }

    const request = await Promise.race([redirected, idpError]);
    const response = await request.response();
    const redirectedTo = request.url();
    return {
      redirectedTo,
      params: new URL(redirectedTo).searchParams,
      status: response?.status() ?? null,
      loginFormShown,
    };
  } finally {
    // Close only what this call opened. Closing the page and then its context has been seen to
    // hang Debian Chromium now and then, so an owned context is closed in one step, and every close
    // is bounded.
    await boundedClose(options.context ? page.close() : context.close());
  }
}
