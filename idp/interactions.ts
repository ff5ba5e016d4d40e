import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import { PAGE_HEADERS, renderLoginPage, renderMessagePage } from './login-page';
import { checkCredentials } from './users';

/**
 * The interaction routes oidc-provider redirects the browser to (devInteractions is off):
 *   GET  /interaction/<uid>        the login form, or an automatic consent (see below)
 *   POST /interaction/<uid>/login  check the credentials and finish the login prompt
 *
 * Consent is granted automatically for the first-party clients named in `autoConsentClients`,
 * so the technician only ever sees the login form. oidc-provider still needs a consent interaction
 * because native clients always get one and FieldKey sends `prompt=consent` (without it,
 * `offline_access` would be dropped and no refresh token issued); this handler answers it at once
 * with a grant holding exactly the scopes, claims and resource scopes that were requested.
 */

const MAX_FORM_BYTES = 16 * 1024;

export interface InteractionOptions {
  clientNames: Readonly<Record<string, string>>;
  autoConsentClients: ReadonlySet<string>;
  log: (message: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...extra });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'Unsupported form', 'The sign-in form must be posted as a web form.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, 'Form too large', 'The sign-in form is too large.');
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function clientIdOf(details: Interaction): string {
  const clientId = details.params.client_id;
  return typeof clientId === 'string' ? clientId : '';
}

async function showInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  details: Interaction,
  options: InteractionOptions,
): Promise<void> {
  const clientId = clientIdOf(details);
  switch (details.prompt.name) {
    case 'login':
      send(res, 200, renderLoginPage({ uid: details.uid, clientName: options.clientNames[clientId] ?? clientId }));
      return;
    case 'consent': {
      if (!options.autoConsentClients.has(clientId) || !details.session) {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'consent required' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const grant =
        (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
        new provider.Grant({ accountId: details.session.accountId, clientId });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    default:
      throw new HttpError(400, 'Unsupported request', `This IdP cannot handle the "${details.prompt.name}" prompt.`);
  }
}

async function submitLogin(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  details: Interaction,
  options: InteractionOptions,
): Promise<void> {
  if (details.prompt.name !== 'login') {
    throw new HttpError(400, 'Unexpected sign-in', 'This sign-in request does not expect a password.');
  }
  const form = await readForm(req);
  const username = form.get('username') ?? '';
  const user = checkCredentials(username, form.get('password') ?? '');
  if (!user) {
    options.log(`login failed for username ${JSON.stringify(username.slice(0, 64))}`);
    const clientId = clientIdOf(details);
    send(
      res,
      200,
      renderLoginPage({
        uid: details.uid,
        clientName: options.clientNames[clientId] ?? clientId,
        error: 'Invalid username or password.',
        username,
      }),
    );
    return;
  }
  options.log(`login ok for ${user.username}`);
  await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
}

/** Handle a request whose path starts with /interaction/. */
export async function handleInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  options: InteractionOptions,
): Promise<void> {
  try {
    const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/.exec(pathname);
    if (!match) throw new HttpError(404, 'Not found', 'There is no such page.');
    const [, uid, login] = match;
    const method = req.method ?? 'GET';
    if (login ? method !== 'POST' : method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', login ? 'POST' : 'GET, HEAD');
      throw new HttpError(405, 'Method not allowed', 'This page does not accept that request.');
    }
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      throw new HttpError(400, 'Sign-in mismatch', 'This page does not belong to the sign-in in progress. Start again from FieldKey.');
    }
    if (login) await submitLogin(provider, req, res, details, options);
    else await showInteraction(provider, req, res, details, options);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      send(res, error.status, renderMessagePage(error.title, error.message));
    } else if (error instanceof Error && error.name === 'SessionNotFound') {
      send(
        res,
        400,
        renderMessagePage(
          'Sign-in expired',
          'This sign-in request expired or was already used. Go back to FieldKey and start the sign-in again.',
        ),
      );
    } else {
      options.log(`interaction error: ${error instanceof Error ? error.message : String(error)}`);
      send(res, 500, renderMessagePage('Something went wrong', 'The demo IdP could not complete the sign-in.'));
    }
  }
}
