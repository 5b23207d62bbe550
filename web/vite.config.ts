/** Builds the dashboard into web/dist (served by `weft serve` at /). Preact through esbuild's automatic JSX runtime. */
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // One small bundle; the server sets a CSP that allows only same-origin scripts and styles.
    cssCodeSplit: false,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:7077' } },
});
