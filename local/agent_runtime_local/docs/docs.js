// The local stack's API docs: Swagger UI (vendored from npm, vendor/swagger-ui/VENDORED.md) over the
// documents this server serves, with "Try it out" sending the requests here. `?spec=acp` or `?spec=a2a`
// opens that document first.
"use strict";

const SPECS = [
  { key: "v1", name: "v1 API", url: "/v1/openapi.json" },
  { key: "acp", name: "ACP 0.2.3", url: "/v1/openapi/acp.json" },
  { key: "a2a", name: "A2A 1.0", url: "/docs/openapi/a2a.json" },
];

// A document's `servers` may name another port or host (the v1 one says 127.0.0.1:9000); the page's CSP
// lets it call only this origin, so every request goes here, to the same path.
function toThisOrigin(request) {
  const url = new URL(request.url, window.location.href);
  if (url.origin !== window.location.origin) {
    request.url = window.location.origin + url.pathname + url.search;
  }
  return request;
}

// The top bar's Swagger logo is an SVG with a <style> element, which the 'self'-only style-src refuses:
// no logo rather than a looser policy.
const NoLogo = () => ({ components: { Logo: () => null } });

window.addEventListener("DOMContentLoaded", () => {
  const wanted = new URLSearchParams(window.location.search).get("spec");
  const first = SPECS.find((spec) => spec.key === wanted) || SPECS[0];
  window.ui = window.SwaggerUIBundle({
    urls: SPECS.map(({ name, url }) => ({ name, url })),
    "urls.primaryName": first.name,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    plugins: [NoLogo],
    layout: "StandaloneLayout",
    validatorUrl: null, // no badge fetched from validator.swagger.io
    persistAuthorization: false, // an API key typed into "Authorize" is never stored
    tryItOutEnabled: true,
    requestInterceptor: toThisOrigin,
  });
});
