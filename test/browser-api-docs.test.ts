import { screenshot, useBrowserSuite } from './support/browser';

/** /api/docs: the REST reference, rendered from the served OpenAPI document, in a real Chromium. */
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
