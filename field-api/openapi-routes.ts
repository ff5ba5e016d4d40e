/**
 * The Field API's routes as the OpenAPI document (field-api/openapi.json) defines them: method,
 * path, operationId and the JSON Schemas of its path parameters, headers and body, with every local
 * `$ref` resolved. The server registers exactly these routes with these schemas, so the contract is
 * written once; tests take the response schemas from here too.
 */
import openapi from './openapi.json';

export type JsonSchema = Record<string, unknown>;

export const OPENAPI_DOCUMENT: Readonly<Record<string, unknown>> = openapi;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type Method = (typeof METHODS)[number];

interface ParameterObject {
  name: string;
  in: 'path' | 'header' | 'query' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

interface OperationObject {
  operationId: string;
  parameters?: unknown[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

export interface RouteDefinition {
  method: Uppercase<Method>;
  /** The OpenAPI path, e.g. `/v1/notes/{id}`. */
  path: string;
  /** The same path in Fastify's syntax, e.g. `/v1/notes/:id`. */
  url: string;
  operationId: string;
  /** Fastify route schema: `params`, `headers` (lower-case names) and `body` when the operation has them. */
  schema: { params?: JsonSchema; headers?: JsonSchema; body?: JsonSchema };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookup(pointer: string): unknown {
  if (!pointer.startsWith('#/')) throw new Error(`only local $refs are supported, not ${pointer}`);
  let node: unknown = openapi;
  for (const raw of pointer.slice(2).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(segment in node)) throw new Error(`unresolved $ref ${pointer}`);
    node = node[segment];
  }
  return node;
}

/** A deep copy of `node` with every `$ref` replaced by what it points to (the document has no cycles). */
export function resolveRefs<T>(node: T, seen: readonly string[] = []): T {
  if (Array.isArray(node)) return node.map((item: unknown) => resolveRefs(item, seen)) as T;
  if (!isObject(node)) return node;
  const ref = node.$ref;
  if (typeof ref === 'string') {
    if (seen.includes(ref)) throw new Error(`circular $ref ${ref}`);
    return resolveRefs(lookup(ref), [...seen, ref]) as T;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = resolveRefs(value, seen);
  return copy as T;
}

function objectSchema(parameters: ParameterObject[], nameOf: (name: string) => string): JsonSchema | undefined {
  if (parameters.length === 0) return undefined;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const parameter of parameters) {
    properties[nameOf(parameter.name)] = parameter.schema;
    if (parameter.required) required.push(nameOf(parameter.name));
  }
  return { type: 'object', properties, required };
}

function operations(): { method: Method; path: string; operation: OperationObject; shared: unknown[] }[] {
  const found: { method: Method; path: string; operation: OperationObject; shared: unknown[] }[] = [];
  for (const [path, item] of Object.entries(openapi.paths as Record<string, Record<string, unknown>>)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (isObject(operation)) {
        found.push({ method, path, operation: operation as unknown as OperationObject, shared: (item.parameters as unknown[]) ?? [] });
      }
    }
  }
  return found;
}

/** Every operation of the document as a Fastify route definition. */
export function routeDefinitions(): RouteDefinition[] {
  return operations().map(({ method, path, operation, shared }) => {
    const parameters = resolveRefs([...shared, ...(operation.parameters ?? [])]) as ParameterObject[];
    const schema: RouteDefinition['schema'] = {};
    const params = objectSchema(
      parameters.filter((p) => p.in === 'path'),
      (name) => name,
    );
    // Fastify hands headers to the validator with lower-case names.
    const headers = objectSchema(
      parameters.filter((p) => p.in === 'header'),
      (name) => name.toLowerCase(),
    );
    const body = operation.requestBody ? resolveRefs(operation.requestBody.content['application/json']?.schema) : undefined;
    if (params) schema.params = params;
    if (headers) schema.headers = headers;
    if (body) schema.body = body;
    return {
      method: method.toUpperCase() as Uppercase<Method>,
      path,
      url: path.replace(/\{([^}]+)\}/g, ':$1'),
      operationId: operation.operationId,
      schema,
    };
  });
}

/** The JSON Schema of one response body (`application/json`), refs resolved; undefined if it has none. */
export function responseSchema(operationId: string, status: number): JsonSchema | undefined {
  const found = operations().find(({ operation }) => operation.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId} in the OpenAPI document`);
  const response = resolveRefs(found.operation.responses[String(status)]) as
    { content?: Record<string, { schema: JsonSchema }> } | undefined;
  if (!response) throw new Error(`${operationId} declares no ${status} response`);
  return response.content?.['application/json']?.schema;
}
