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
} as const;

export const Views = {
  container: "hearth",
  chat: "hearth.chat",
} as const;

export const EXTENSION_ID = "hearth.hearth";
