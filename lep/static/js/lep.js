// Start every NHS.UK frontend component on the page (skip link, header menu, error summary,
// character count, password input and the rest).
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

initAll();
