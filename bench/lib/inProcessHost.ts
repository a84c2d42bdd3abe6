/**
 * The real Hearth host in the benchmark's own process, over a real LSP (JSON-RPC) connection on in-memory
 * streams: requests pay serialization and dispatch like in VS Code, and the benchmark can reach the same
 * engine (ModelManager) for the side-by-side baseline requests.
 */
import { PassThrough } from "node:stream";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { initializeHost } from "../../server/client/hostProcess";
import { startLanguageServer, type LanguageServerHandle } from "../../server/lsp/server";
import type { HearthSettings } from "../../server/protocol";

export interface InProcessHost {
  client: ProtocolConnection;
  server: LanguageServerHandle;
  dispose(): Promise<void>;
}

export async function startInProcessHost(opts: { settings: Partial<HearthSettings>; rootUri: string; storageDir: string }): Promise<InProcessHost> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const serverConnection = createConnection(ProposedFeatures.all, new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const server = startLanguageServer(serverConnection);
  const client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  client.listen();
  await initializeHost(client, opts);
  return {
    client,
    server,
    dispose: async () => {
      await server.models()?.dispose();
      client.dispose();
    },
  };
}
