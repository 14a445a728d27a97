// A module resolution hook: openapi-typescript drives the TypeScript 5 compiler API, which the
// project's `typescript` (7, the native compiler) does not have. Its imports of "typescript"
// get TypeScript 5.9, installed as the `typescript5` alias; everything else is left alone.
// Synchronous, so that it serves as module.registerHooks' hook and as module.register's.
export function resolve(specifier, context, nextResolve) {
  if (
    specifier === "typescript" &&
    context.parentURL?.includes("/node_modules/openapi-typescript/")
  ) {
    return nextResolve("typescript5", context);
  }
  return nextResolve(specifier, context);
}
