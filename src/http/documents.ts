import { GraphQLError, Kind, parse, type OperationDefinitionNode, type OperationTypeNode, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { createHash } from 'node:crypto';
import { limitRules, MAX_NESTING, parseOptions, schemaRules } from './limits';

/** A valid document's operations (name and type), and whether it asks for incremental delivery (@defer/@stream). */
export interface Prepared {
  document: DocumentNode;
  operations: ReadonlyArray<{ name: string | undefined; type: OperationTypeNode; node: OperationDefinitionNode }>;
  incremental: boolean;
  errors?: undefined;
}

export type Verdict = Prepared | { document?: undefined; errors: readonly GraphQLError[] };

/** The operation a request names (or the only one), as graphql-js selects it; undefined when none fits. */
export function selectOperation(prepared: Prepared, operationName: string | null | undefined): Prepared['operations'][number] | undefined {
  const { operations } = prepared;
  if (operationName == null) return operations.length === 1 ? operations[0] : undefined;
  return operations.find((o) => o.name === operationName);
}

/** A Map in least-recently-used order, bounded by entries and by the total size of its keys' sources. */
export class Lru<V> {
  private readonly map = new Map<string, { value: V; size: number }>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.size;
      this.map.delete(key);
    }
    this.map.set(key, { value, size });
    this.bytes += size;
    for (const [oldest, entry] of this.map) {
      if (this.map.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.map.delete(oldest);
      this.bytes -= entry.size;
    }
  }
}

const REFUSED: DocumentNode = Object.freeze({ kind: Kind.DOCUMENT, definitions: [] });

/** Documents remembered (valid and refused alike), and the total size of their sources. */
const MAX_DOCUMENTS = 1000;
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * The one parse-and-validate step of every transport (the HTTP fast path, Apollo, graphql-ws):
 * a document is checked once and its verdict, valid or refused, kept in one LRU by the SHA-256
 * of its source (Apollo's document-store key, so Apollo is handed the same parsed document).
 * Cheap limits run first (nesting before parsing; tokens while parsing; then depth, aliases,
 * directives, fields and response size, all linear), and graphql-js's own rules only for a
 * document within them: its OverlappingFieldsCanBeMerged is quadratic in same-named fields.
 */
export class DocumentGate {
  private readonly cache = new Lru<Verdict>(MAX_DOCUMENTS, MAX_DOCUMENT_BYTES);
  private readonly limits: ValidationRule[];
  private readonly rules: ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    introspection: boolean,
    private readonly onLookup: (hit: boolean) => void = () => undefined,
  ) {
    this.limits = limitRules();
    this.rules = [...specifiedRules, ...schemaRules(introspection)];
  }

  static hash(source: string): string {
    return createHash('sha256').update(source).digest('hex');
  }

  check(source: string, hash = DocumentGate.hash(source)): Verdict {
    let verdict = this.cache.get(hash);
    this.onLookup(verdict !== undefined);
    if (!verdict) {
      verdict = this.judge(source);
      this.cache.set(hash, verdict, source.length);
    }
    return verdict;
  }

  /**
   * Apollo's document store: the parsed document of a valid source, and an empty document for a
   * refused one (Apollo then neither parses nor validates it; the plugin answers the refusal).
   */
  forApollo(hash: string): DocumentNode | undefined {
    const verdict = this.cache.get(hash);
    return verdict && (verdict.document ?? REFUSED);
  }

  get cached(): number {
    return this.cache.size;
  }

  private judge(source: string): Verdict {
    const nesting = nestingDepth(source);
    if (nesting > MAX_NESTING) {
      return { errors: [new GraphQLError(`The document nests brackets ${nesting > 999 ? 'over 999' : nesting} deep; the limit is ${MAX_NESTING}.`)] };
    }
    let document: DocumentNode;
    try {
      document = parse(source, parseOptions);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Could not parse the document.')] };
    }
    try {
      const refused = validate(this.schema, document, this.limits);
      if (refused.length) return { errors: refused };
      const errors = validate(this.schema, document, this.rules);
      if (errors.length) return { errors };
      const operations = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [{ name: d.name?.value, type: d.operation, node: d }] : []));
      return { document, operations, incremental: /@(defer|stream)\b/.test(source) };
    } catch (error) {
      if (error instanceof RangeError) return { errors: [new GraphQLError('The document is nested too deeply.')] };
      throw error;
    }
  }
}

/**
 * How deep `{`, `[` and `(` nest outside strings and comments: graphql-js parses and visits
 * recursively, and a list literal 2,000 deep overflows the stack. Linear, before parsing.
 */
export function nestingDepth(source: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x7b || c === 0x5b || c === 0x28) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      depth = Math.max(0, depth - 1);
    } else if (c === 0x23) {
      while (i < source.length && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22) {
      if (source.startsWith('"""', i)) {
        let j = i + 3;
        while (j < source.length && !source.startsWith('"""', j)) j += source.startsWith('\\"""', j) ? 4 : 1;
        i = j + 2;
      } else {
        for (i++; i < source.length && source.charCodeAt(i) !== 0x22 && source.charCodeAt(i) !== 0x0a; i++) if (source.charCodeAt(i) === 0x5c) i++;
      }
    }
  }
  return max;
}
