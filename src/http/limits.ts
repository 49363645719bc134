import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { NoSchemaIntrospectionCustomRule, type GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { operationCostRule } from './cost';

/**
 * The limits on a document, the same on every transport (DocumentGate applies them): depth over
 * 16, more than 30 aliases, 5000 tokens (the contract's), and, against documents cheap to send and
 * dear to check or answer, 50 directives, 500 field selections, brackets nested 64 deep and a
 * worst-case answer of 6 MB.
 */
export const MAX_DEPTH = 16;
export const MAX_ALIASES = 30;
export const MAX_TOKENS = 5000;
export const MAX_DIRECTIVES = 50;
export const MAX_FIELDS = 500;
export const MAX_NESTING = 64;
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * Armor's rules throw by default, which graphql's validate() rethrows: a 500 on HTTP and a 4500
 * close on WebSocket. Reported instead, they are ordinary validation errors (400 / an `error` frame).
 */
const report = { propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)] };

/** The cheap, linear rules, run before graphql-js's own. */
export function limitRules(): ValidationRule[] {
  return [
    // Depth counts fields only (fragments are flattened) and introspection too: the standard
    // introspection query is 15, and a deep __schema query is refused like any other.
    maxDepthRule({ n: MAX_DEPTH, exposeLimits: true, ignoreIntrospection: false, flattenFragments: true, ...report }) as unknown as ValidationRule,
    maxAliasesRule({ n: MAX_ALIASES, exposeLimits: true, ...report }) as unknown as ValidationRule,
    maxDirectivesRule({ n: MAX_DIRECTIVES, exposeLimits: true, ...report }) as unknown as ValidationRule,
    operationCostRule({ maxFields: MAX_FIELDS, maxResponseBytes: MAX_RESPONSE_BYTES }),
  ];
}

/** Rules that go with graphql-js's specified ones. */
export function schemaRules(introspection: boolean): ValidationRule[] {
  return introspection ? [] : [NoSchemaIntrospectionCustomRule];
}

export const parseOptions = { maxTokens: MAX_TOKENS };
