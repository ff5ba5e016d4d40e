/**
 * What every successful token exchange (code exchange or refresh) leaves behind for clock trust
 * (DESIGN.md section 2): the server's time (the verified ID token's `iat`, then the HTTP `Date`)
 * paired with the local time the response arrived, and an online check-in of the account.
 */
import { accountIdFor } from '../accounts/account-id';
import type { ServerTimeSource } from '../records/time-records';
import type { TokenEndpointAnswer } from './token-endpoint';

/** The time-records repository (src/main/core/records/time-records.ts) as this module needs it. */
export interface TimeRecorder {
  recordServerTime(serverTime: Date, localTime: Date, source: ServerTimeSource): void;
  recordCheckIn(accountKey: string, at: Date, serverTime: Date | null): void;
}

export interface Exchange {
  issuer: string;
  sub: string;
  answer: TokenEndpointAnswer;
  /** `iat` of the ID token verified from this response, if there was one. */
  idTokenIat?: number;
}

/** Records the exchange; the check-in is keyed by the account id (`accountIdFor(issuer, sub)`). */
export function recordExchange(recorder: TimeRecorder, exchange: Exchange): void {
  const { answer } = exchange;
  if (exchange.idTokenIat !== undefined) recordServerTime(recorder, new Date(exchange.idTokenIat * 1000), answer.receivedAt, 'token-iat');
  if (answer.serverDate) recordServerTime(recorder, answer.serverDate, answer.receivedAt, 'http-date');
  recordCheckInFor(recorder, exchange);
}

function recordServerTime(recorder: TimeRecorder, serverTime: Date, localTime: Date, source: ServerTimeSource): void {
  if (Number.isFinite(serverTime.getTime())) recorder.recordServerTime(serverTime, localTime, source);
}

function recordCheckInFor(recorder: TimeRecorder, exchange: Exchange): void {
  recorder.recordCheckIn(accountIdFor(exchange.issuer, exchange.sub), exchange.answer.receivedAt, exchange.answer.serverDate ?? null);
}
