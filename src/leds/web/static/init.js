// Starts GOV.UK Frontend's components (conditional radios, the error summary's
// focus, the service navigation's menu on small screens).  Loaded as a module
// from a static file: the Content-Security-Policy allows no inline script.
import { initAll } from "/assets/frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
