/**
 * What the model is asked for a slash command: the instruction under the code the message carries (the
 * context chips come first, see ./prompt.ts), with what the editor knows that the code alone does not: the
 * problems it reports (`/fix`), the project's test framework and where its tests are (`/tests`), the
 * language's documentation style (`/doc`). Pure, so it is unit-tested.
 */
import type { ChatCommandName } from "./commands";
import type { TestFramework } from "./testFramework";

/** A problem the editor reports in the code (a diagnostic), 1-based line. */
export interface CodeProblem {
  line: number;
  message: string;
  severity: "error" | "warning";
  source?: string;
  code?: string;
}

export interface CommandFacts {
  /** The code's language (VS Code id) and its workspace path. */
  languageId: string;
  path: string;
  /** `/fix`: the problems reported in the code (already limited to the code's lines). */
  problems?: readonly CodeProblem[];
  /** `/tests`: the framework, and existing tests (attached as context) or the path new tests should take. */
  framework?: TestFramework;
  existingTests?: string;
  exampleTests?: string;
  testPath?: string;
}

/** At most this many problems are quoted (the first ones in the file). */
export const MAX_QUOTED_PROBLEMS = 10;

/** The instruction for `command`, with what the developer typed after it (`rest`) as their own words. */
export function commandPrompt(command: Exclude<ChatCommandName, "clear">, rest: string, facts: CommandFacts): string {
  const lines: string[] = [];
  const code = `the code above (\`${facts.path}\`)`;
  switch (command) {
    case "explain":
      lines.push(
        `Explain ${code}: what it is for, how it works step by step, and anything a reader could miss (edge cases, side effects, errors it throws, possible bugs).`,
        "Name the functions and variables you refer to. Keep it short: no restating of the code line by line.",
      );
      break;
    case "fix": {
      const problems = facts.problems ?? [];
      if (problems.length) {
        lines.push(`Fix the problem${problems.length === 1 ? "" : "s"} the editor reports in ${code}:`, ...quoted(problems));
      } else if (facts.problems) {
        lines.push(`Find the bugs in ${code} and fix them. The editor reports no problems in it, so look for logic errors, unhandled cases and misuse of APIs; if you find none, say so.`);
      } else {
        // (the editor's problems for this code are not known: the file is not open, or the code is another cell's)
        lines.push(`Find the bugs in ${code} and fix them: logic errors, unhandled cases and misuse of APIs; if you find none, say so.`);
      }
      lines.push(
        "Say in a sentence what causes each problem, then give the corrected code: each function or class you change written out in full, without \"...\" placeholders, so it can be applied to the file. Change nothing else.",
      );
      break;
    }
    case "review": {
      if (facts.languageId === "diff") {
        lines.push(
          `Review the changes in the diff above (${facts.path}) as a careful senior colleague would before they are committed: first bugs and wrong behaviour the changes bring in (edge cases, error handling, concurrency, resource leaks), then security problems (injection, secrets, unchecked input), then what the changes leave unfinished (a caller or a test not updated, a leftover debug line) and what makes them hard to read or change.`,
          "For each finding: the file and the changed line, what goes wrong and when, and how to fix it; when you show the fix in code, write the changed function out in full. Most important first; say plainly when the changes look fine. No praise, no restating what the diff does.",
        );
        break;
      }
      lines.push(
        `Review ${code} as a careful senior colleague would: first bugs and wrong behaviour (edge cases, error handling, concurrency, resource leaks), then security problems (injection, secrets, unchecked input), then what makes it hard to read or change.`,
        "For each finding: where (the function or line), what goes wrong and when, and how to fix it; when you show the fix in code, write the changed function out in full so it can be applied. Most important first; say plainly when something is fine. No praise, no restating what the code does.",
      );
      if (facts.problems?.length) lines.push("The editor already reports these (take them into account, do not just repeat them):", ...quoted(facts.problems));
      break;
    }
    case "tests": {
      const framework = facts.framework ? `${facts.framework.name}${facts.framework.from ? ` (the project's framework, from its ${facts.framework.from})` : ""}` : "the project's usual test framework";
      lines.push(`Write unit tests for ${code} with ${framework}.`);
      lines.push("Cover the normal cases, the edge cases (empty, zero, boundaries, invalid input) and the errors it raises, each test named for the behaviour it checks.");
      if (facts.existingTests) {
        lines.push(`\`${facts.existingTests}\` (above) already tests this code: write only the new test cases, in its style, ready to add to that file.`);
      } else {
        if (facts.exampleTests) lines.push(`Follow the style of the project's tests in \`${facts.exampleTests}\` (above): imports, helpers, naming.`);
        if (facts.testPath) lines.push(`Write the whole test file \`${facts.testPath}\` in one code block, ${howToReach(facts.languageId, facts.path)}.`);
      }
      lines.push("Test only what the code does; do not change it.");
      break;
    }
    case "doc":
      lines.push(
        `Add documentation comments to ${code} in ${docStyle(facts.languageId)}: for each function, class, method and exported item a one-line summary, then its parameters, its return value and the errors it throws where there are any.`,
        "Say why, not what each line does: no line-by-line comments. Do not change the code itself.",
        "Give the documented code in full in one code block, without \"...\" placeholders, so it can be applied to the file.",
      );
      break;
  }
  if (rest.trim()) lines.push("", `The developer adds: ${rest.trim()}`);
  return lines.join("\n");
}

/** Add Documentation (an edit of the lines, shown as a diff): the instruction for Edit Selection. */
export function docInstruction(languageId: string): string {
  return `Add documentation comments in ${docStyle(languageId)}: for each function, class, method and exported item a one-line summary, then its parameters, its return value and the errors it throws where there are any. Say why, not what each line does: no line-by-line comments. Keep the code itself exactly as it is.`;
}

/** How a new test file reaches the code under test, in the language's way. */
function howToReach(languageId: string, file: string): string {
  switch (languageId) {
    case "go":
      return "in the same package as the code";
    case "java":
    case "kotlin":
      return "in the same package as the class under test";
    case "python":
      return `importing the code under test from its module (\`${file}\`) as the project's imports do`;
    case "ruby":
      return `requiring \`${file}\``;
    default:
      return `importing the code under test from \`${file}\` by its path relative to the test file`;
  }
}

/** The usual documentation-comment style of a language (VS Code id). */
export function docStyle(languageId: string): string {
  switch (languageId) {
    case "typescript":
    case "typescriptreact":
      return "TSDoc (`/** … */` with `@param`, `@returns`, `@throws`; no types in the tags, TypeScript has them)";
    case "javascript":
    case "javascriptreact":
      return "JSDoc (`/** … */` with `@param {type}`, `@returns {type}`, `@throws`)";
    case "python":
      return "docstrings (PEP 257; Args / Returns / Raises sections as in the Google style)";
    case "go":
      return "Go doc comments (`//` lines before each declaration, starting with its name)";
    case "rust":
      return "rustdoc (`///` comments with `# Errors` and `# Panics` sections where they apply)";
    case "java":
      return "Javadoc (`/** … */` with `@param`, `@return`, `@throws`)";
    case "kotlin":
      return "KDoc (`/** … */` with `@param`, `@return`, `@throws`)";
    case "csharp":
      return "XML documentation comments (`/// <summary>`, `<param>`, `<returns>`, `<exception>`)";
    case "c":
    case "cpp":
      return "Doxygen comments (`/** … */` with `@brief`, `@param`, `@return`)";
    case "php":
      return "PHPDoc (`/** … */` with `@param`, `@return`, `@throws`)";
    case "ruby":
      return "YARD comments (`#` lines with `@param`, `@return`, `@raise`)";
    case "swift":
      return "Swift documentation comments (`///` with `- Parameters:`, `- Returns:`, `- Throws:`)";
    case "shellscript":
      return "comment blocks (`#` lines before each function: what it does, its arguments, its output and exit status)";
    default:
      return "the language's usual documentation-comment style";
  }
}

/** The problems as a list, one line each (at most MAX_QUOTED_PROBLEMS, then how many more). */
function quoted(problems: readonly CodeProblem[]): string[] {
  const lines = problems.slice(0, MAX_QUOTED_PROBLEMS).map((p) => `- line ${p.line}, ${p.severity}${p.source ? ` (${p.source}${p.code ? ` ${p.code}` : ""})` : ""}: ${oneLine(p.message)}`);
  if (problems.length > MAX_QUOTED_PROBLEMS) lines.push(`(and ${problems.length - MAX_QUOTED_PROBLEMS} more)`);
  return lines;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
