// Checks the extension's static files: package.json names files that exist,
// the grammar and language configuration are valid JSON whose regular
// expressions compile, and the grammar's rules classify a sample of RPL
// as expected (first match of each rule, which is how TextMate scans a
// line). Run by build.sh before packaging: node test/grammar.test.js
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const read = (p) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8'));

const pkg = read('package.json');
assert.ok(fs.existsSync(path.join(root, pkg.main)), 'main exists');
for (const l of pkg.contributes.languages) assert.ok(fs.existsSync(path.join(root, l.configuration)));
for (const g of pkg.contributes.grammars) assert.ok(fs.existsSync(path.join(root, g.path)));

const grammar = read('syntaxes/rpl.tmLanguage.json');
const regexes = [];
(function walk(node) {
  if (Array.isArray(node)) return node.forEach(walk);
  if (node && typeof node === 'object') {
    for (const k of ['match', 'begin', 'end']) if (typeof node[k] === 'string') regexes.push(node[k]);
    Object.values(node).forEach(walk);
  }
})(grammar);
assert.ok(regexes.length > 10, 'grammar has rules');
for (const r of regexes) new RegExp(r, 'u'); // Oniguruma accepts these too

const config = read('language-configuration.json');
new RegExp(config.wordPattern, 'u');
new RegExp(config.indentationRules.increaseIndentPattern, 'u');
new RegExp(config.indentationRules.decreaseIndentPattern, 'u');
assert.strictEqual(config.comments.lineComment, '#');

// A few classifications.
const rule = (name) => {
  const found = [];
  (function walk(node) {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      if (node.name === name && node.match) found.push(new RegExp(node.match, 'u'));
      Object.values(node).forEach(walk);
    }
  })(grammar);
  assert.ok(found.length, `rule ${name}`);
  return found[0];
};
assert.deepStrictEqual('budget $12.50 left'.match(rule('constant.numeric.money.rpl'))[0], '$12.50');
assert.deepStrictEqual('ttl: 1h30m,'.match(rule('constant.numeric.duration.rpl'))[0], '1h30m');
assert.deepStrictEqual('x > 8_000 &&'.match(rule('constant.numeric.rpl'))[0], '8_000');
assert.deepStrictEqual('let a = 1 # note'.match(rule('comment.line.number-sign.rpl'))[0], '# note');
assert.deepStrictEqual('if a { return b }'.match(rule('keyword.control.rpl'))[0], 'if');
assert.deepStrictEqual('x == none'.match(rule('constant.language.rpl'))[0], 'none');
console.log(`grammar: ${regexes.length} rules compile; classifications ok`);
