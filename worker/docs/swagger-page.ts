/** The Swagger UI page for an OpenAPI document, with its assets served by the same app. */
export function swaggerPage(title: string, specUrl: string, assetBase: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${assetBase}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assetBase}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: "#swagger-ui", persistAuthorization: true });</script>
</body>
</html>`;
}
