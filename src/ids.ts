/** Command, view and setting ids: the contract between package.json, the extension and its tests. */
export const Commands = {
  newChat: "hearth.newChat",
  explainScreenshot: "hearth.explainScreenshot",
  summarizeMeeting: "hearth.summarizeMeeting",
  toggleCompletions: "hearth.toggleCompletions",
  toggleCompletionsForLanguage: "hearth.toggleCompletionsForLanguage",
  selectModel: "hearth.selectModel",
  downloadModel: "hearth.downloadModel",
  /** The downloaded model files with their sizes, to delete those no longer used. */
  manageModels: "hearth.manageModels",
  restartHost: "hearth.restartHost",
  showLogs: "hearth.showLogs",
  statusMenu: "hearth.statusMenu",
  /** Apply a code block (argument: its text) to the active editor's file, as a diff to accept or discard. */
  applyCodeBlock: "hearth.applyCodeBlock",
  /** Rewrite the selected lines (or write code at the cursor) from an instruction, as a diff to accept or discard. */
  editSelection: "hearth.editSelection",
  /** A commit message for the staged changes, into the Source Control view's message box. */
  writeCommitMessage: "hearth.writeCommitMessage",
  reviewChanges: "hearth.reviewChanges",
  /** Add the editor's selection to the chat's context and focus the chat. */
  addSelectionToChat: "hearth.addSelectionToChat",
  /** The past conversations (New Chat keeps them): a quick pick, or the id of one to reopen. */
  chatHistory: "hearth.chatHistory",
  /** The open conversation as a Markdown document in an unsaved editor. */
  exportChat: "hearth.exportChat",
  /** Chat `/explain` on the editor's selection (or the function at the cursor). */
  explainCode: "hearth.explainCode",
  /** Chat `/fix` on the editor's selection (or the function at the cursor), with the problems reported in it. */
  fixCode: "hearth.fixCode",
  /** Chat `/review` on the editor's selection (or the function at the cursor). */
  reviewCode: "hearth.reviewCode",
  /** Chat `/tests` on the editor's selection (or the function at the cursor). */
  writeTests: "hearth.writeTests",
  /** Documentation comments for the selection (or the function at the cursor), as a diff (Edit Selection). */
  addDocumentation: "hearth.addDocumentation",
  applyProposedChange: "hearth.applyProposedChange",
  discardProposedChange: "hearth.discardProposedChange",
} as const;

export const Views = {
  container: "hearth",
  chat: "hearth.chat",
} as const;

export const EXTENSION_ID = "hearth.hearth";
