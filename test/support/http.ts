import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

export interface GqlResult<T> {
  status: number;
  data: T | null;
  errors?: GraphQLFormattedError[];
}

/** A GraphQL client over real HTTP, as a frontend would call it. */
export class HttpClient {
  constructor(readonly url: string) {}

  async request<TData, TVars>(
    document: TypedDocumentNode<TData, TVars> | string,
    variables?: TVars,
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResult<TData>> {
    const query = typeof document === 'string' ? document : print(document);
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let json: { data?: TData | null; errors?: GraphQLFormattedError[] };
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`Non-JSON response ${response.status}: ${text.slice(0, 200)}`);
    }
    return { status: response.status, data: json.data ?? null, errors: json.errors };
  }

  /** The data, or a thrown error naming the GraphQL errors. */
  async ok<TData, TVars>(document: TypedDocumentNode<TData, TVars> | string, variables?: TVars, token?: string): Promise<TData> {
    const result = await this.request(document, variables, token);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }

  /** The first error's code (and the result), for tests that expect a refusal. */
  async fail<TData, TVars>(document: TypedDocumentNode<TData, TVars> | string, variables?: TVars, token?: string) {
    const result = await this.request(document, variables, token);
    const error = result.errors?.[0];
    if (!error) throw new Error(`Expected an error, got data: ${JSON.stringify(result.data)}`);
    return { code: error.extensions?.code as string, message: error.message, error, result };
  }
}
