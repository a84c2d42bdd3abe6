/// <reference types="mocha" />
// Hearth's commands change a setting where it is in effect: with the value set in the workspace's
// .vscode/settings.json (as scripts/start.mjs does for the demo), Toggle Inline Completions changes that
// value, so the toggle takes effect, instead of writing User settings that the workspace value overrides.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { Commands } from "../../../src/ids";
import { hearth, note, waitFor } from "./helpers";

describe("settings written by commands", () => {
  it("Toggle Inline Completions changes the workspace's value when the workspace sets it", async () => {
    await hearth();
    const config = () => vscode.workspace.getConfiguration("hearth");
    const before = config().inspect<boolean>("completion.enabled");
    await config().update("completion.enabled", true, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand(Commands.toggleCompletions);
      await waitFor("completions to be off", () => config().get<boolean>("completion.enabled") === false, 10_000);
      const after = config().inspect<boolean>("completion.enabled");
      assert.equal(after?.workspaceValue, false, "the workspace value was not changed");
      assert.equal(after?.globalValue, before?.globalValue, "the toggle wrote User settings");
      await vscode.commands.executeCommand(Commands.toggleCompletions);
      await waitFor("completions to be on again", () => config().get<boolean>("completion.enabled") === true, 10_000);
      assert.equal(config().inspect<boolean>("completion.enabled")?.workspaceValue, true);
      note("the toggle wrote .vscode/settings.json both times; User settings untouched");
    } finally {
      await config().update("completion.enabled", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
