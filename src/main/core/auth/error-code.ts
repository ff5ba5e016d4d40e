/** What a log line may say about an error: its stable code, or its class name, never its message. */
import { isFieldKeyError } from '../../../shared/errors';

export function errorCode(error: unknown): string {
  return isFieldKeyError(error) ? error.code : error instanceof Error ? error.name : typeof error;
}
