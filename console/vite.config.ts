import { fileURLToPath } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The console is built into dist/console, which the Atrium server serves at `/`. */
export default defineConfig({
  root: here,
  plugins: [react(), tailwindcss()],
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    // The CSP allows no inline script or data: script, so nothing is inlined as a data URL.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev:console`: the API of an Atrium running on :3000, same-origin through the proxy.
    proxy: { "/api": "http://localhost:3000" },
  },
});
