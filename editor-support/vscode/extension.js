// The Sluice extension: starts `sluice lsp` (diagnostics, hover, completion, go to
// definition, references, symbols, formatting) for .sluice and Sluice YAML files.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('sluice').get('path') || 'sluice';
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient(
    'sluice',
    'Sluice',
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: 'file', language: 'sluice' },
        { scheme: 'file', language: 'yaml', pattern: '**/*.sluice.{yaml,yml}' },
      ],
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
