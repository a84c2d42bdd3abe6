// Files changed outside the editor (git checkout, a formatter in a terminal) reach the workspace prefix only
// through file events, and an LSP client sends those only for watchers the server asks it to register. The
// host asks at `initialized` when the client can register watchers dynamically (VS Code can), scoped to the
// workspace root where relative patterns are supported; a client that cannot (the CLI) is asked nothing.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  createProtocolConnection,
  DidChangeWatchedFilesNotification,
  ExitNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type ProtocolConnection,
  type Registration,
} from "vscode-languageserver-protocol/node";
import { initializeHost } from "../../server/client/hostProcess";
import { assertBuilt, SERVER_MODULE } from "../helpers/tinyHost";

const open: ProtocolConnection[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) {
    await c.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await c.sendNotification(ExitNotification.type).catch(() => undefined);
    c.dispose();
  }
});

/** Starts a host as a client with `capabilities` and returns the registrations it asks for in the first second. */
async function registrationsFor(capabilities: ClientCapabilities, rootUri: string | undefined): Promise<Registration[]> {
  assertBuilt();
  const child = spawn(process.execPath, [SERVER_MODULE, "--stdio"], { stdio: ["pipe", "pipe", "ignore"] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  open.push(connection);
  const registered: Registration[] = [];
  connection.onRequest(RegistrationRequest.type, (p) => {
    registered.push(...p.registrations);
  });
  connection.listen();
  await initializeHost(connection, { rootUri, capabilities });
  await new Promise((r) => setTimeout(r, 1000));
  return registered;
}

describe("watching the workspace for changes made outside the editor", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-watch-"));
  const rootUri = pathToFileURL(root).href;

  it("registers a watcher for every file under the workspace root with a client like VS Code", async () => {
    const regs = await registrationsFor({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true } } }, rootUri);
    const watch = regs.filter((r) => r.method === DidChangeWatchedFilesNotification.method);
    expect(watch).toHaveLength(1);
    expect(watch[0].registerOptions).toEqual({ watchers: [{ globPattern: { baseUri: rootUri, pattern: "**/*" } }] });
  });

  it("uses a plain glob when the client has no relative patterns", async () => {
    const regs = await registrationsFor({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } }, rootUri);
    const watch = regs.filter((r) => r.method === DidChangeWatchedFilesNotification.method);
    expect(watch.map((r) => r.registerOptions)).toEqual([{ watchers: [{ globPattern: "**/*" }] }]);
  });

  it("asks nothing of a client that cannot register watchers, or when no folder is open", async () => {
    expect(await registrationsFor({ window: { workDoneProgress: true } }, rootUri)).toEqual([]);
    expect(await registrationsFor({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } }, undefined)).toEqual([]);
  });
});
