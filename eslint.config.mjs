// One lint config for the workspace. The module-boundary matrix is the architecture in code:
// apps wire libs, feature libs hold server/worker logic, protocol/data/util libs stay light.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/out/**', '**/results/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:protocol', 'type:data', 'type:model', 'type:math', 'type:util'] },
            { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:feature', 'type:protocol', 'type:data', 'type:model', 'type:math', 'type:util', 'type:app'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:protocol', 'type:data', 'type:model', 'type:math', 'type:util'] },
            // Flat-array math (optimizers, codecs) works on the protocol's tensor shapes, nothing else.
            { sourceTag: 'type:math', onlyDependOnLibsWithTags: ['type:protocol', 'type:util'] },
            // Shards are a wire concept: the data lib reads the protocol's ShardSpec.
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:protocol', 'type:util'] },
            { sourceTag: 'type:model', onlyDependOnLibsWithTags: ['type:model', 'type:util'] },
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:server', 'scope:shared'] },
            { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:worker', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // Tests and benchmarks drive the whole system, server and worker alike.
            { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['scope:server', 'scope:worker', 'scope:shared', 'scope:cli'] },
          ],
        },
      ],
      // Deep imports bypass a lib's one public door (src/index.ts).
      'no-restricted-imports': ['error', { patterns: [{ group: ['@dtrain/*/src/*', '@dtrain/*/src'], message: 'Import a lib through its index (or ./testing).' }] }],
    },
  },
];
