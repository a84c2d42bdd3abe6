/**
 * *Hearth: Chat History…* (the clock in the chat view's title bar): the past conversations in a quick pick,
 * newest first, each with when it was last written and how many questions it has; Enter reopens one, the
 * Markdown button exports it, the trash button forgets it. With a chat's id as the argument (a keybinding, a test) it reopens that one.
 */
import * as vscode from "vscode";
import { exportChat } from "./exportChat";
import type { PastChat } from "./pastChats";

export interface PastChatsSource {
  pastChats(): PastChat[];
  openPastChat(id: string): Promise<boolean>;
  deletePastChat(id: string): Promise<void>;
}

interface Item extends vscode.QuickPickItem {
  id: string;
}

export async function showPastChats(chat: PastChatsSource, id?: unknown): Promise<void> {
  if (typeof id === "string") {
    if (!(await chat.openPastChat(id))) void vscode.window.showInformationMessage("Hearth: that chat is no longer in the history.");
    return;
  }
  const chats = chat.pastChats();
  if (!chats.length) {
    void vscode.window.showInformationMessage("Hearth: no past chats yet. New Chat keeps the conversation it ends here.");
    return;
  }
  const remove: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon("trash"), tooltip: "Delete this chat" };
  const save: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon("markdown"), tooltip: "Export this chat as Markdown" };
  const toItem = (c: PastChat): Item => ({
    id: c.id,
    label: c.title,
    description: when(c.updatedAt),
    detail: `${c.questions} question${c.questions === 1 ? "" : "s"}`,
    buttons: [save, remove],
  });
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = "Hearth: Chat History";
  pick.placeholder = "Open a past chat (the current one is kept here)";
  pick.matchOnDetail = false;
  pick.items = chats.map(toItem);
  const chosen = await new Promise<Item | undefined>((resolve) => {
    pick.onDidTriggerItemButton(async (e) => {
      if (e.button === save) {
        const past = chats.find((c) => c.id === e.item.id);
        pick.hide();
        if (past) await exportChat(past.turns);
        return;
      }
      await chat.deletePastChat(e.item.id);
      pick.items = pick.items.filter((i) => i.id !== e.item.id);
      if (!pick.items.length) pick.hide();
    });
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]);
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (chosen) await chat.openPastChat(chosen.id);
}

/** "today 14:05", "yesterday 09:12", else the date. */
function when(ms: number): string {
  if (!ms) return "";
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const day = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(new Date()) - day(d)) / 86_400_000);
  if (days === 0) return `today ${time}`;
  if (days === 1) return `yesterday ${time}`;
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}
