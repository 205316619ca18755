// The RPL extension: a language client that starts `rplc lsp` and talks
// to it over standard input and output. Every feature (diagnostics, hover,
// completion, navigation, rename, formatting, semantic tokens, code
// lenses) comes from the server; highlighting before the server answers
// comes from syntaxes/rpl.tmLanguage.json.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind, ExecuteCommandRequest } = require('vscode-languageclient/node');

let client;

// The code lenses' commands run policy code (a test, a sample decision)
// for up to 10 s. While one runs, a notification shows it with a Cancel
// button, which cancels the request ($/cancelRequest): the server stops
// the run and answers it as cancelled, which is not an error.
const runningTitles = {
  'rpl.runTest': (args) => `RPL: running test "${args[1]}"`,
  'rpl.explain': () => 'RPL: explaining a sample decision',
};

function executeCommand(command, args, next) {
  const title = runningTitles[command];
  if (!title) return next(command, args);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: title(args || []), cancellable: true },
    (_progress, token) =>
      client
        .sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token)
        .then(undefined, (err) => client.handleFailedRequest(ExecuteCommandRequest.type, token, err, undefined)),
  );
}

function serverOptions() {
  const cfg = vscode.workspace.getConfiguration('rpl');
  const command = cfg.get('server.path') || 'rplc';
  const args = ['lsp', ...(cfg.get('server.args') || [])];
  const run = { command, args, transport: TransportKind.stdio };
  return { run, debug: run };
}

async function activate(context) {
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'rpl' },
      { scheme: 'untitled', language: 'rpl' },
    ],
    // Files changed outside the editor (a git checkout) reach the server.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.rpl') },
    outputChannelName: 'RPL',
    middleware: { executeCommand },
  };
  const start = async () => {
    client = new LanguageClient('rpl', 'RPL language server', serverOptions(), clientOptions);
    try {
      await client.start();
    } catch (err) {
      vscode.window.showErrorMessage(
        `RPL: cannot start "${serverOptions().run.command} lsp" (${err.message || err}). ` +
          'Install rplc (go install github.com/rpl-lang/rpl/cmd/rplc@latest) or set rpl.server.path, ' +
          'then run "RPL: Restart the language server".',
      );
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('rpl.restartServer', async () => {
      await stopClient();
      await start();
    }),
  );
  await start();
}

// stopClient stops the client if it runs. One whose start failed (rplc not
// found) is not stopped: stop throws for it, which kept the restart that
// follows setting rpl.server.path from starting the server. One starting
// is let finish first.
async function stopClient() {
  if (!client || !client.needsStop()) return;
  try {
    await client.start();
  } catch (_) {
    return;
  }
  if (client.isRunning()) await client.stop();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
