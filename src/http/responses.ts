import Type, { type Static, type TSchema } from "typebox";
import type { ErrorCode } from "../lib/errors.js";
import { ErrorResponse } from "./schemas.js";

/**
 * Response declarations for route schemas. Each carries what the answer means, which the
 * OpenAPI document publishes as the response's description; Fastify serializes with the schema.
 */

/**
 * A JSON answer. A named schema (with an `$id`: User, Member…) is wrapped rather than copied, so
 * that the document refers to its component instead of inlining it.
 */
export const Json = <T extends TSchema>(description: string, schema: T) =>
  typeof (schema as { $id?: unknown }).$id === "string"
    ? Type.Unsafe<Static<T>>({ description, allOf: [schema] })
    : Type.Unsafe<Static<T>>({ ...schema, description });

/** An answer without a body (202, 204): `type: "null"` tells the document there is no content. */
export const NoBody = (description: string) =>
  Type.Unsafe<undefined>({ type: "null", description });

/** A redirect to the `Location` header. */
export const Redirect = (description: string) =>
  Type.Unsafe<undefined>({
    type: "null",
    description,
    headers: { location: Type.String({ format: "uri", description: "Where to go next." }) },
  });

/** The contract's error body, added once to the app (`addSchema`): the `Error` component. */
export const ErrorComponent = { ...ErrorResponse, $id: "Error" };

/**
 * An error answer: the `Error` component, its `code` restricted to the codes given (those a
 * route declares for one status).
 */
export const DeclaredError = (codes: readonly ErrorCode[]) =>
  Type.Unsafe<Static<typeof ErrorResponse> & { error: { code: ErrorCode } }>({
    allOf: [
      Type.Ref("Error"),
      {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code"],
            properties: { code: { type: "string", enum: [...codes] } },
          },
        },
      },
    ],
  });
