// VS Code user settings for an e2e run: the noise-cutting ones from the notes, and Hearth on the tiny
// generated models. Shared by the code-server runner and the desktop runner.
import path from "node:path";

export function userSettings(models) {
  return {
    // noise cutting (see /work/shared/notes/vscode-e2e.md)
    "workbench.startupEditor": "none",
    "telemetry.telemetryLevel": "off",
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "extensions.ignoreRecommendations": true,
    "update.mode": "none",
    "chat.disableAIFeatures": true,
    "git.enabled": false,
    "workbench.tips.enabled": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.enableExperiments": false,
    "security.workspace.trust.enabled": false,
    "window.confirmBeforeClose": "never",
    // IntelliSense popups would cover (and compete with) the ghost text.
    "editor.quickSuggestions": { other: false, comments: false, strings: false },
    "editor.suggestOnTriggerCharacters": false,
    "editor.parameterHints.enabled": false,
    "editor.inlineSuggest.enabled": true,
    // Hearth on the tiny generated models
    "hearth.model": path.join(models, "text.gguf"),
    "hearth.mmproj": path.join(models, "mmproj.gguf"),
    "hearth.drafter": path.join(models, "assistant.gguf"),
    "hearth.contextSize": 8192,
    "hearth.threads": 2,
    "hearth.completion.debounceMs": 50,
  };
}
