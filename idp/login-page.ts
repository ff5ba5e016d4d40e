/**
 * The demo IdP's own pages: plain server-rendered HTML, no scripts, no external assets. The login
 * form is what a technician (or a Playwright test) sees in the system browser.
 */

export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/**
 * Headers for every page the IdP renders itself. No `form-action` in the CSP on purpose: Chromium
 * applies it to the redirects after a form post too, and the last redirect goes to the app's
 * loopback port, another origin.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
});

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f2f4f7; margin: 0; }
  main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 3px rgba(0,0,0,.2); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font-size: 1rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; }
  .error { color: #a00; background: #fee; padding: .5rem; border-radius: 4px; }
  .note { color: #555; font-size: .85rem; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageInput {
  /** The interaction uid: the form posts to /interaction/<uid>/login. */
  uid: string;
  clientName: string;
  /** Shown above the form after a failed attempt. */
  error?: string;
  /** Re-filled after a failed attempt (never the password). */
  username?: string;
}

export function renderLoginPage(input: LoginPageInput): string {
  const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '';
  return page(
    'Sign in - FieldKey demo IdP',
    `<h1>Sign in to ${escapeHtml(input.clientName)}</h1>
${error}
<form method="post" action="/interaction/${encodeURIComponent(input.uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" type="text" required autofocus value="${escapeHtml(input.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p class="note">FieldKey demo identity provider. Demo accounts are listed in idp/README.md.</p>`,
  );
}

export function renderMessagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
