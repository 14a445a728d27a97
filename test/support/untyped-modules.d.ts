// oidc-provider ships no types; the tests use a handful of its calls.
declare module "oidc-provider" {
  // biome-ignore lint/suspicious/noExplicitAny: an untyped library, used by tests only.
  const Provider: any;
  export default Provider;
}
