import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-web/', 'dist-bench/', 'node_modules/', 'test/generated/', 'web/generated/', '.data/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // jest loads its reporter and transformer as CommonJS.
  { files: ['test/support/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
