// The REST API's reference, rendered by Scalar from the server's own OpenAPI document. Every
// option that would reach another host is off: no web fonts from Scalar's CDN, no telemetry, no
// request proxy (the "try it" client calls this server directly), no AI agent.
/* global Scalar */
Scalar.createApiReference('#api-docs', {
  url: '/api/v1/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  defaultOpenAllTags: true,
});
