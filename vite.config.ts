import { svelte } from "@sveltejs/vite-plugin-svelte";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The web UI lives in ui/; the build goes to dist/ at the repository root, where
// tauri.conf.json (`frontendDist: "dist"`) expects it. `tauri dev` loads devUrl
// http://localhost:1420, so the dev server must get exactly that port.
const host = process.env.TAURI_DEV_HOST;

export default defineConfig({
  root: fileURLToPath(new URL("./ui", import.meta.url)),
  publicDir: fileURLToPath(new URL("./ui/public", import.meta.url)),
  plugins: [svelte({ configFile: fileURLToPath(new URL("./svelte.config.js", import.meta.url)) })],
  resolve: {
    alias: {
      $lib: fileURLToPath(new URL("./ui/src/lib", import.meta.url)),
    },
  },
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_ENV_"],
  server: {
    port: 1420,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: "ws", host, port: 1421 } : undefined,
    watch: {
      ignored: ["**/src-tauri/**", "**/crates/**", "**/target/**"],
    },
  },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    // The Tauri webviews (WebKitGTK, WKWebView, WebView2) all support this.
    target: "es2022",
    sourcemap: false,
  },
});
