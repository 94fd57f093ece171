// Builds scrkb's front-end assets into web/static/govuk/ (gitignored):
//   govuk.css              GOV.UK Frontend compiled from Sass with the system font stack
//   govuk-frontend.min.js  the frontend's own precompiled JavaScript (progressive enhancement)
// Nothing is fetched at run time: the app serves these files itself.
import { mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "static", "govuk");
const frontend = join(here, "node_modules", "govuk-frontend", "dist", "govuk");
mkdirSync(out, { recursive: true });

const result = sass.compile(join(here, "scss", "govuk.scss"), {
  style: "compressed",
  importers: [new sass.NodePackageImporter(here)],
  quietDeps: true,
  silenceDeprecations: ["import"],
});
if (/GDS Transport|@font-face/.test(result.css)) {
  throw new Error("compiled CSS still names GDS Transport or a web font");
}
writeFileSync(join(out, "govuk.css"), result.css);
copyFileSync(join(frontend, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
console.log(`web assets: ${out} (css ${result.css.length} bytes)`);
