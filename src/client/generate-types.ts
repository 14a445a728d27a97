/**
 * Turns the OpenAPI document into TypeScript types for the typed client: one entry per
 * operation ("METHOD /path") with its path parameters, query, body and success response.
 * Covers the JSON Schema that Atrium's routes use (objects, arrays, unions, literals, refs).
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
};

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: Schema }>;
  requestBody?: { content?: Record<string, { schema: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ["get", "post", "put", "patch", "delete"];

function literal(value: unknown): string {
  return JSON.stringify(value);
}

function key(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

export function schemaToType(schema: Schema | undefined, indent = ""): string {
  if (!schema || Object.keys(schema).length === 0) return "unknown";
  if (schema.$ref) return `Schemas[${literal(schema.$ref.split("/").pop())}]`;
  if (schema.const !== undefined) return literal(schema.const);
  if (schema.enum) return schema.enum.map(literal).join(" | ");
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => schemaToType(s, indent)).join(" | ");
  if (Array.isArray(schema.type))
    return schema.type.map((type) => schemaToType({ ...schema, type }, indent)).join(" | ");
  switch (schema.type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `Array<${schemaToType(schema.items, indent)}>`;
    case "object": {
      const inner = `${indent}  `;
      const required = new Set(schema.required ?? []);
      const fields = Object.entries(schema.properties ?? {}).map(
        ([name, property]) =>
          `${inner}${key(name)}${required.has(name) ? "" : "?"}: ${schemaToType(property, inner)};`,
      );
      if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
        fields.push(`${inner}[key: string]: ${schemaToType(schema.additionalProperties, inner)};`);
      }
      return fields.length === 0 ? "Record<string, never>" : `{\n${fields.join("\n")}\n${indent}}`;
    }
    default:
      return "unknown";
  }
}

function paramsType(operation: Operation, where: "path" | "query", indent: string): string {
  const params = (operation.parameters ?? []).filter((p) => p.in === where);
  if (params.length === 0) return "Record<string, never>";
  const inner = `${indent}  `;
  const fields = params.map(
    (p) => `${inner}${key(p.name)}${p.required ? "" : "?"}: ${schemaToType(p.schema, inner)};`,
  );
  return `{\n${fields.join("\n")}\n${indent}}`;
}

function successType(operation: Operation, indent: string): string {
  const success = Object.entries(operation.responses ?? {}).find(([status]) =>
    /^2\d\d$/.test(status),
  );
  if (!success) return "void";
  const [status, response] = success;
  if (status === "204" || !response.content?.["application/json"]) return "void";
  return schemaToType(response.content["application/json"].schema, indent);
}

/** The generated module's text. Deterministic: the same document gives the same bytes. */
export function generateClientTypes(document: OpenApiDocument): string {
  const lines = [
    "// Generated from GET /api/v1/openapi.json by `npm run generate:client`. Do not edit:",
    "// src/client/client.test.ts fails when this file and the document disagree.",
    "",
    "export interface Schemas {",
  ];
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    lines.push(`  ${key(name)}: ${schemaToType(schema, "  ")};`);
  }
  lines.push("}", "", "export interface Operations {");
  for (const path of Object.keys(document.paths).sort()) {
    for (const method of METHODS) {
      const operation = document.paths[path]?.[method];
      if (!operation) continue;
      const body = operation.requestBody?.content?.["application/json"]?.schema;
      lines.push(
        `  ${literal(`${method.toUpperCase()} ${path}`)}: {`,
        `    params: ${paramsType(operation, "path", "    ")};`,
        `    query: ${paramsType(operation, "query", "    ")};`,
        `    body: ${body ? schemaToType(body, "    ") : "undefined"};`,
        `    response: ${successType(operation, "    ")};`,
        "  };",
      );
    }
  }
  lines.push("}", "");
  return lines.join("\n");
}
