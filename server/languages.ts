/** VS Code language ids by file extension, for clients (like the CLI) that only have a path. */
import path from "node:path";

const BY_EXTENSION: Record<string, string> = {
  ".ts": "typescript", ".tsx": "typescriptreact", ".mts": "typescript", ".cts": "typescript",
  ".js": "javascript", ".jsx": "javascriptreact", ".mjs": "javascript", ".cjs": "javascript",
  ".py": "python", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin", ".c": "c", ".h": "c",
  ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".cs": "csharp", ".rb": "ruby", ".php": "php",
  ".swift": "swift", ".scala": "scala", ".sh": "shellscript", ".bash": "shellscript", ".json": "json",
  ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".md": "markdown", ".html": "html", ".css": "css",
  ".scss": "scss", ".sql": "sql", ".lua": "lua", ".dart": "dart", ".vue": "vue", ".svelte": "svelte",
};

export function languageIdOf(file: string): string {
  return BY_EXTENSION[path.extname(file).toLowerCase()] ?? "plaintext";
}
