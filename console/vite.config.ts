import { fileURLToPath } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The console is built into dist/console, which the Atrium server serves at `/`. */
export default defineConfig({
  root: here,
  plugins: [react(), tailwindcss()],
  resolve: {
    // The router's store asks for the React 17 shim of useSyncExternalStore; React 19 has it.
    alias: [
      {
        find: /^use-sync-external-store\/shim\/with-selector(\.js)?$/,
        replacement: "use-sync-external-store/with-selector",
      },
    ],
  },
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    // The CSP allows no inline script or data: script, so nothing is inlined as a data URL.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    // Every browser the console supports preloads modules itself: no polyfill in the entry.
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        // What every form needs (fields, validation), in one file rather than split by which
        // pages happen to share which part: fewer requests and one gzip dictionary.
        manualChunks: (id) =>
          /\/(zod|react-hook-form|@hookform)\/|\/console\/src\/(ui\/(TextField|FormField)|lib\/(form|schema|errors))\./.test(
            id,
          )
            ? "forms"
            : undefined,
      },
    },
  },
  server: {
    // `npm run dev:console`: the API of an Atrium running on :3000, same-origin through the proxy.
    proxy: { "/api": "http://localhost:3000" },
  },
});
