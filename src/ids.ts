/** Command, view and setting ids: the contract between package.json, the extension and its tests. */
export const Commands = {
  newChat: "hearth.newChat",
  explainScreenshot: "hearth.explainScreenshot",
  summarizeMeeting: "hearth.summarizeMeeting",
  toggleCompletions: "hearth.toggleCompletions",
  toggleCompletionsForLanguage: "hearth.toggleCompletionsForLanguage",
  selectModel: "hearth.selectModel",
  downloadModel: "hearth.downloadModel",
  restartHost: "hearth.restartHost",
  showLogs: "hearth.showLogs",
  statusMenu: "hearth.statusMenu",
  /** Apply a code block (argument: its text) to the active editor's file, as a diff to accept or discard. */
  applyCodeBlock: "hearth.applyCodeBlock",
  applyProposedChange: "hearth.applyProposedChange",
  discardProposedChange: "hearth.discardProposedChange",
} as const;

export const Views = {
  container: "hearth",
  chat: "hearth.chat",
} as const;

export const EXTENSION_ID = "hearth.hearth";
