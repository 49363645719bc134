import * as consoleOperations from '../web/generated/console';
import * as widgetOperations from '../web/generated/widget';
import { DocumentGate } from '../src/http/documents';
import { buildAppSchema } from '../src/schema/build';

/**
 * Every operation the widget and the console send passes the server's gate as it stands (depth,
 * aliases, tokens, and the worst-case response size counted with each list at its limit): a
 * frontend query the server would refuse is a broken page, found here rather than in a browser.
 */
describe('the frontends\' operations', () => {
  const gate = new DocumentGate(buildAppSchema(), true, () => undefined);
  const documents = Object.entries({ ...widgetOperations, ...consoleOperations }).filter(([name]) => name.endsWith('Document'));

  it('should all pass the gate (depth, aliases, size)', () => {
    expect(documents.length).toBeGreaterThan(30);
    const refused = documents
      .map(([name, document]) => [name, gate.check(String(document)).errors?.map((e) => e.message) ?? []] as const)
      .filter(([, errors]) => errors.length > 0);
    expect(Object.fromEntries(refused)).toEqual({});
  });
});
