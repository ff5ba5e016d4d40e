import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT, resolveRefs, responseSchema, routeDefinitions } from '../../field-api/openapi-routes';

/** The contract document itself: valid OpenAPI 3.1, and the source of the server's route schemas. */

function copy(): Record<string, unknown> {
  return structuredClone(OPENAPI_DOCUMENT) as Record<string, unknown>;
}

describe('field-api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(copy());
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('fails validation when an operation is broken (the check can fail)', async () => {
    const broken = copy();
    const paths = broken.paths as Record<string, Record<string, Record<string, unknown>>>;
    delete paths['/v1/notes']?.get?.responses;
    (paths['/v1/notes/{id}']?.put?.parameters as Record<string, unknown>[]).push({ name: 'x', in: 'nowhere' });
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('resolves every $ref', () => {
    expect(JSON.stringify(resolveRefs(OPENAPI_DOCUMENT))).not.toContain('$ref');
  });
});

describe('route schemas taken from the document', () => {
  const routes = routeDefinitions();
  const byId = Object.fromEntries(routes.map((route) => [route.operationId, route]));
  const schemas = (OPENAPI_DOCUMENT.components as { schemas: Record<string, unknown> }).schemas;

  it('lists every operation with its Fastify path', () => {
    expect(routes.map((route) => `${route.method} ${route.url} ${route.operationId}`).sort()).toEqual([
      'GET /v1/devices/:deviceId/audit-checkpoints getAuditCheckpoint',
      'GET /v1/notes listNotes',
      'POST /v1/devices/:deviceId/audit-checkpoints postAuditCheckpoint',
      'PUT /v1/notes/:id putNote',
    ]);
  });

  it('takes bodies, path parameters and headers (lower-cased) from the document', () => {
    expect(byId.putNote?.schema.body).toEqual(schemas.NoteWrite);
    expect(byId.postAuditCheckpoint?.schema.body).toEqual(schemas.AuditCheckpointWrite);
    expect(byId.putNote?.schema.params).toEqual({
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' } },
      required: ['id'],
    });
    const headers = byId.putNote?.schema.headers as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(headers.properties).sort()).toEqual(['idempotency-key', 'if-match', 'if-none-match']);
    expect(headers.required).toEqual(['idempotency-key']);
    // Path-level parameters apply to every operation of the path.
    expect(byId.getAuditCheckpoint?.schema.params).toEqual(byId.postAuditCheckpoint?.schema.params);
    expect(byId.listNotes?.schema).toEqual({});
  });

  it('gives response schemas by operation and status, and refuses an undeclared status', () => {
    expect(responseSchema('putNote', 201)).toEqual(resolveRefs(schemas.Note));
    expect(() => responseSchema('putNote', 204)).toThrow(/declares no 204 response/);
    expect(() => responseSchema('deleteNote', 200)).toThrow(/no operation deleteNote/);
  });
});
