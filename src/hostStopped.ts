/**
 * A request that ended because the model host stopped (Restart Model Host, a reload, a host crash): not a
 * failure of the request, so the chat shows it as stopped and the commands show no error for it. No VS Code
 * or LSP dependency: the chat view and the media commands check for it, and their unit tests throw it.
 */
export class HostStoppedError extends Error {
  override readonly name = "HostStopped";
  constructor(readonly original?: unknown) {
    super("the model host was restarted");
  }
}

export function isHostStopped(err: unknown): boolean {
  return err instanceof HostStoppedError || (err as Error | undefined)?.name === "HostStopped";
}
