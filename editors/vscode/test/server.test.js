// Talks to `rplc lsp` with vscode-jsonrpc, the JSON-RPC library under
// vscode-languageclient, as the extension does: initialize, open a policy
// with an error, wait for its diagnostics, hover, shut down. Proves the
// framing and messages interoperate. Usage: RPLC=/path/to/rplc node test/server.test.js
'use strict';

const assert = require('assert');
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const rpc = require('vscode-jsonrpc/node');

async function main() {
  const rplc = process.env.RPLC;
  if (!rplc) throw new Error('set RPLC to an rplc binary');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpl-ext-'));
  const file = path.join(dir, 'p.rpl');
  const text = 'package p\n\nfn route(r: Request) -> Decision = to(r.tenant.tierr)\n';
  fs.writeFileSync(file, text);
  const uri = 'file://' + file;

  const proc = cp.spawn(rplc, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(proc.stdout),
    new rpc.StreamMessageWriter(proc.stdin),
  );
  const diagnostics = new Promise((resolve) =>
    conn.onNotification('textDocument/publishDiagnostics', (p) => {
      if (p.uri === uri) resolve(p);
    }),
  );
  conn.listen();
  const timer = setTimeout(() => {
    console.error('timed out');
    process.exit(1);
  }, 20000);

  const init = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: 'file://' + dir,
    capabilities: { workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } },
  });
  assert.strictEqual(init.capabilities.positionEncoding, 'utf-16');
  conn.onRequest('client/registerCapability', () => null);
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'rpl', version: 1, text },
  });
  const d = await diagnostics;
  assert.strictEqual(d.diagnostics.length, 1);
  assert.strictEqual(d.diagnostics[0].code, 'RPL202');
  const col = text.split('\n')[2].indexOf('to(');
  const hover = await conn.sendRequest('textDocument/hover', {
    textDocument: { uri },
    position: { line: 2, character: col },
  });
  assert.match(hover.contents.value, /fn to\(target: string\) -> Decision/);
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  const code = await new Promise((resolve) => proc.on('exit', resolve));
  assert.strictEqual(code, 0);
  clearTimeout(timer);
  conn.dispose();
  fs.rmSync(dir, { recursive: true });
  console.log('rplc lsp answers vscode-jsonrpc: initialize, diagnostics, hover, shutdown ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
