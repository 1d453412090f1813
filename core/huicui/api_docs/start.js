// Starts Swagger UI on the page /schema serves (huicui/api_docs/__init__.py).
// A file, not an inline script, so the page's Content-Security-Policy allows scripts
// from the service only. validatorUrl: null keeps Swagger UI from calling its public
// validator: the page loads nothing from outside the service.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
