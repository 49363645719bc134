import { editorValue, screenshot, setEditor, useBrowserSuite } from './support/browser';
import { buildAgent } from './support/factories';
import { buildApiKey } from './support/keys';

/** What partners see: /api/docs (the REST reference) and the playground with an API key, in a real Chromium. */
const suite = useBrowserSuite();

describe('GET /api/docs', () => {
  it('should render every REST route from /api/v1/openapi.json, loading nothing from other hosts', async () => {
    const { t } = suite;
    const pg = await suite.page();
    const response = await pg.page.goto(`${t.server.url}/api/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    for (const summary of ['Open a chat', 'Send a message', 'Transfer a session', "Update an agent's availability, skills and capacity", 'Agent metrics', 'Sign in as an agent']) {
      await suite.until(async () => (await pg.page.getByText(summary, { exact: true }).count()) > 0, `the docs show "${summary}"`, 20_000);
    }
    expect(pg.requests).toContain(`${t.server.url}/api/v1/openapi.json`);
    await screenshot(pg.page, 'api-docs');
    const origin = t.server.url;
    const external = pg.requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:') && !r.startsWith('blob:'));
    expect(external).toEqual([]);
    expect(pg.errors).toEqual([]);
    await pg.context.close();
  });
});

describe('the playground with an API key', () => {
  it('should run the example tab with a key pasted into the Headers editor', async () => {
    const { t } = suite;
    const agent = await buildAgent(t, { name: 'Keyed Kim' });
    const key = await buildApiKey(t, ['CHATS_READ', 'AGENTS_READ'], 'CRM', suite.supervisor);
    const pg = await suite.page();
    await pg.page.goto(`${t.server.url}/playground`);
    await pg.page.locator('.graphiql-container').waitFor();
    await pg.page.locator('.graphiql-tab', { hasText: 'AsApiKey' }).click();
    await suite.until(async () => (await editorValue(pg.page, 'query')).includes('query AsApiKey'), 'the API key example');
    await setEditor(pg.page, 'headers', JSON.stringify({ Authorization: `Bearer ${key.secret}` }));
    await pg.page.locator('.graphiql-execute-button').click();
    await suite.until(async () => (await editorValue(pg.page, 'response')).includes(agent.email), 'agents with emails, as the key sees them');
    expect(await editorValue(pg.page, 'response')).not.toContain('"errors"');
    await screenshot(pg.page, 'playground-api-key');
    expect(pg.errors).toEqual([]);
    await pg.context.close();
  });
});
