// The pages of the book, in reading order, from Jupyter Book's _toc.yml: shared by
// check_book.mjs (every page checked) and lighthouse.mjs (every page measured), so that a new
// chapter is checked and measured as soon as it is in the table of contents.

import fs from 'node:fs';
import path from 'node:path';

import YAML from 'yaml';

// [{ docname: 'book/intro', source: 'book/intro.md' (or undefined), html: 'book/intro.html' }]
export function tocPages(tocFile) {
  const bookDir = path.dirname(path.resolve(tocFile));
  const toc = YAML.parse(fs.readFileSync(tocFile, 'utf8'));
  const docnames = [toc.root];
  const walk = (entries) => {
    for (const entry of entries ?? []) {
      if (entry.glob) throw new Error(`${tocFile}: glob entries are not supported here (${entry.glob})`);
      if (entry.file) docnames.push(entry.file);
      walk(entry.sections);
      walk(entry.chapters);
    }
  };
  for (const part of toc.parts ?? []) walk(part.chapters);
  walk(toc.chapters);
  walk(toc.sections);
  return docnames.map((name) => {
    const docname = name.replace(/\.(md|ipynb|rst)$/, '');
    const source = ['.ipynb', '.md', '.rst'].map((ext) => docname + ext)
      .find((f) => fs.existsSync(path.join(bookDir, f)));
    return { docname, source, html: `${docname}.html` };
  });
}
