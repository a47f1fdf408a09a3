// Unit tests of the TypeScript frontend: `jlpm test` (and tests/ui/test_typescript_units.py,
// so that the README's test command runs them). The lab build (tsconfig.json) leaves
// labextension/test out of lib/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'transform' },
  test: {
    include: ['labextension/test/**/*.test.{ts,tsx}'],
    environment: 'node',
    setupFiles: ['labextension/test/setup.ts'],
    reporters: ['verbose'],
    // ESM packages with extensionless imports: let Vite resolve them.
    server: { deps: { inline: [/@jupyter\/web-components/, /@jupyter\/react-components/, /@microsoft\/fast-/] } }
  }
});
