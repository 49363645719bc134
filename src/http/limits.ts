import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { NoSchemaIntrospectionCustomRule, type GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * The contract's limits on a query, applied alike on HTTP (Apollo) and WebSocket (graphql-ws):
 * depth over 16, more than 30 aliases, more than 5000 tokens: refused before execution.
 */
export const MAX_DEPTH = 16;
export const MAX_ALIASES = 30;
export const MAX_TOKENS = 5000;
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * Armor's rules throw by default, which graphql's validate() rethrows: a 500 on HTTP and a 4500
 * close on WebSocket. Reported instead, they are ordinary validation errors (400 / an `error` frame).
 */
const report = { propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)] };

export function validationRules(introspection: boolean): ValidationRule[] {
  const rules: ValidationRule[] = [
    // Depth counts fields only (fragments are flattened) and introspection too: the standard
    // introspection query is 15, and a deep __schema query is refused like any other.
    maxDepthRule({ n: MAX_DEPTH, exposeLimits: true, ignoreIntrospection: false, flattenFragments: true, ...report }) as unknown as ValidationRule,
    maxAliasesRule({ n: MAX_ALIASES, exposeLimits: true, ...report }) as unknown as ValidationRule,
  ];
  if (!introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

export const parseOptions = { maxTokens: MAX_TOKENS };
