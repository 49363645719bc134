import { CreateApiKeyDocument, type ApiScope } from '../generated/graphql';
import { loginSupervisor, type Target } from './factories';

export const ALL_SCOPES: ApiScope[] = ['CHATS_READ', 'CHATS_WRITE', 'AGENTS_READ', 'AGENTS_WRITE', 'METRICS_READ', 'WEBHOOKS_MANAGE'];

export interface TestKey {
  id: string;
  name: string;
  secret: string;
  scopes: ApiScope[];
}

/** A key created by the supervisor through the API, as a partner gets one. */
export async function buildApiKey(t: Target, scopes: ApiScope[], name = `CRM ${scopes.join('+') || 'none'}`, supervisor?: string): Promise<TestKey> {
  const { createApiKey } = await t.http.ok(CreateApiKeyDocument, { name, scopes }, supervisor ?? (await loginSupervisor(t)));
  return { id: createApiKey.apiKey.id, name, secret: createApiKey.secret, scopes };
}
