/**
 * Entry point of the Hearth model host. Any LSP client can start it: `node server.js --stdio` or with
 * `--node-ipc` (vscode-languageclient's IPC transport); the transport is chosen from the arguments.
 */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startLanguageServer } from "./lsp/server";

startLanguageServer(createConnection(ProposedFeatures.all));

// Signals end the process without running 'exit' listeners' async work: exit explicitly so the
// supervisor's synchronous 'exit' hook kills the engine.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(signal, () => process.exit(0));
