import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * Two limits on what an operation may ask for, computed once per document from its AST (fragments
 * expanded, each fragment's share worked out once, so a fragment used 1000 times costs nothing
 * more to count):
 * - fields: every field selection the operation makes, `{ me { id } me { id } }` counting 4.
 *   graphql-js's OverlappingFieldsCanBeMerged compares same-named fields pairwise, so a document
 *   of 1,240 `me { id }` costs it half a second of CPU; refused here, it never runs.
 * - response bytes, worst case: each list at its `limit` / `first` (a variable or nothing: its
 *   maximum, else its default), a list with neither at LIST_ASSUMED, every text field at its
 *   contract maximum and 6 bytes a character (JSON escapes of control characters), multiplied
 *   through nesting and added across aliases. Introspection is left out (its answer is the
 *   schema's size).
 * Both report an ordinary validation error (BAD_USER_INPUT), naming the limit.
 */

/** Contract maxima of the text fields (characters); other leaves count LEAF_BYTES. */
const TEXT_MAX: Record<string, number> = {
  body: 4000, ratingComment: 2000, comment: 2000, name: 200, authorName: 200, email: 254, externalId: 200, skill: 50,
  // desk
  draft: 4000, pageUrl: 2000, pageTitle: 2000, referrer: 2000, userAgent: 2000, title: 200, shortcut: 40, url: 200,
};
/** Lists whose length the contract bounds (the desk's: files per message, tags per session). */
const LIST_MAX: Record<string, number> = { 'Message.attachments': 10, 'ChatSession.tags': 20 };
const BYTES_PER_CHAR = 6;
const LEAF_BYTES = 64;
/** A page argument given as a variable counts as its maximum (validated as 1..200). */
const PAGE_MAX = 200;
/** A list without a page argument (agents, queue, mySessions, skills). */
const LIST_ASSUMED = 100;
const PAGE_ARGS = ['limit', 'first'];

type Fragments = Map<string, { fields: number; bytes: number } | 'pending'>;

class Estimator {
  private readonly fragments: Fragments = new Map();

  constructor(private readonly context: ValidationContext) {}

  /** Fields selected and worst-case bytes of one selection set on `type`. */
  selectionSet(set: SelectionSetNode, type: GraphQLCompositeType | undefined, page?: number): { fields: number; bytes: number } {
    let fields = 0;
    let bytes = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const cost = this.field(selection, type, page);
        fields += cost.fields;
        bytes += cost.bytes;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? this.context.getSchema().getType(selection.typeCondition.name.value) : type;
        const cost = this.selectionSet(selection.selectionSet, isCompositeType(on) ? on : undefined, page);
        fields += cost.fields;
        bytes += cost.bytes;
      } else {
        const cost = this.fragment(this.context.getFragment(selection.name.value), page);
        fields += cost.fields;
        bytes += cost.bytes;
      }
    }
    return { fields, bytes };
  }

  private fragment(fragment: FragmentDefinitionNode | null | undefined, page: number | undefined): { fields: number; bytes: number } {
    if (!fragment) return { fields: 0, bytes: 0 };
    const key = `${fragment.name.value}:${page ?? ''}`;
    const known = this.fragments.get(key);
    if (known === 'pending') return { fields: 0, bytes: 0 }; // a cycle: NoFragmentCycles refuses it
    if (known) return known;
    this.fragments.set(key, 'pending');
    const on = this.context.getSchema().getType(fragment.typeCondition.name.value);
    const cost = this.selectionSet(fragment.selectionSet, isCompositeType(on) ? on : undefined, page);
    this.fragments.set(key, cost);
    return cost;
  }

  /** `page`: the page size asked of the nearest paged field above (its list is inside its result). */
  private field(node: FieldNode, parent: GraphQLCompositeType | undefined, page: number | undefined): { fields: number; bytes: number } {
    const name = node.name.value;
    const def: GraphQLField<unknown, unknown> | undefined = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    const introspection = name.startsWith('__');
    let bytes = introspection ? 0 : name.length + (node.alias?.value.length ?? 0) + 4;
    let fields = 1;
    const own = this.pageSize(node, def);
    const list = def !== undefined && isListType(getNullableType(def.type) as GraphQLOutputType);
    // A list returns its own page size, or that of the paged field it sits in (`messages(limit)`
    // is a MessagePage whose `messages` list it sizes); anything else returns one.
    const multiplier = list ? (own ?? page ?? LIST_MAX[`${parent?.name}.${name}`] ?? LIST_ASSUMED) : 1;
    if (node.selectionSet) {
      const named = def ? getNamedType(def.type) : undefined;
      const inner = this.selectionSet(node.selectionSet, isCompositeType(named) ? named : undefined, list ? undefined : own);
      fields += inner.fields;
      if (!introspection) bytes += inner.bytes * multiplier;
    } else if (!introspection) {
      const leaf = TEXT_MAX[name] !== undefined ? TEXT_MAX[name] * BYTES_PER_CHAR : LEAF_BYTES;
      bytes += leaf * multiplier;
    }
    return { fields, bytes };
  }

  /** The page a field asks for (`limit` / `first`): a literal, else its maximum for a variable, else its default. */
  private pageSize(node: FieldNode, def: GraphQLField<unknown, unknown> | undefined): number | undefined {
    for (const argName of PAGE_ARGS) {
      const argDef = def?.args.find((a) => a.name === argName);
      if (!argDef) continue;
      const given = node.arguments?.find((a) => a.name.value === argName)?.value;
      if (given?.kind === Kind.INT) return Math.max(1, Number(given.value));
      if (given) return PAGE_MAX; // a variable (or a value validation will refuse)
      return typeof argDef.defaultValue === 'number' ? argDef.defaultValue : PAGE_MAX;
    }
    return undefined;
  }
}

/** The estimate of one operation (also used by tests and the README's numbers). */
export function estimateOperation(context: ValidationContext, operation: OperationDefinitionNode): { fields: number; bytes: number } {
  const root = context.getSchema().getRootType(operation.operation) ?? undefined;
  return new Estimator(context).selectionSet(operation.selectionSet, root);
}

export function operationCostRule(limits: { maxFields: number; maxResponseBytes: number }): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const { fields, bytes } = estimateOperation(context, operation);
      if (fields > limits.maxFields) {
        context.reportError(new GraphQLError(`The operation selects ${fields} fields; the limit is ${limits.maxFields}.`, { nodes: [operation] }));
      }
      if (bytes > limits.maxResponseBytes) {
        const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
        context.reportError(
          new GraphQLError(
            `The operation could answer up to ${mb(bytes)} (lists counted at their limit, across aliases); the limit is ${mb(limits.maxResponseBytes)}. Ask for fewer items or fields.`,
            { nodes: [operation] },
          ),
        );
      }
    },
  });
}
