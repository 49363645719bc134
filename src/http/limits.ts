import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';

/**
 * The contract's limits on a query, applied alike on HTTP (Apollo) and WebSocket (graphql-ws):
 * depth over 16, more than 30 aliases, more than 5000 tokens: refused before execution.
 */
export const MAX_DEPTH = 16;
export const MAX_ALIASES = 30;
export const MAX_TOKENS = 5000;
export const MAX_BODY_BYTES = 100 * 1024;

export function validationRules(introspection: boolean): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({ n: MAX_DEPTH, exposeLimits: true }) as unknown as ValidationRule,
    maxAliasesRule({ n: MAX_ALIASES, exposeLimits: true }) as unknown as ValidationRule,
  ];
  if (!introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

export const parseOptions = { maxTokens: MAX_TOKENS };
