// GraphiQL in headless Chromium, as a person uses it: open the page, put a query, its variables and
// its headers in the editors (or, with "-", keep what the page opened with), press the run button,
// read the result pane, take a screenshot. Every request to another origin is blocked and reported,
// so the page passes only if it works offline. Prints one JSON object (with what the editors held when
// Run was pressed); tests/e2e/test_graphiql_browser.py runs it against the service under uvicorn.
//
//   node e2e/graphiql.mjs GRAPHIQL_URL OPERATION_FILE|- VARIABLES_JSON|- HEADERS_JSON|- SCREENSHOT_PNG
//
// Chromium is Debian's (/usr/bin/chromium, see scripts/e2e-setup.sh): Playwright's own browser
// download is not used, only its client library, playwright-core.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [pageUrl, operationFile, variables, headers, screenshot] = process.argv.slice(2);
if (!pageUrl || !operationFile || !variables || !headers || !screenshot) {
  console.error("usage: node e2e/graphiql.mjs GRAPHIQL_URL OPERATION_FILE|- VARIABLES_JSON|- HEADERS_JSON|- SCREENSHOT_PNG");
  process.exit(2);
}
const query = operationFile === "-" ? "-" : readFileSync(operationFile, "utf8");
const origin = new URL(pageUrl).origin;
const profile = mkdtempSync(join(tmpdir(), "graphiql-chromium-"));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1400, height: 900 },
  timeout: 30_000,
});

const report = { externalRequests: [], failedRequests: [], consoleErrors: [], pageErrors: [], cspViolations: [] };
const page = context.pages()[0] ?? (await context.newPage());
try {
  await context.route("**/*", (route) => {
    const requested = route.request().url();
    if (new URL(requested).origin === origin) return route.continue();
    report.externalRequests.push(requested);
    return route.abort("blockedbyclient");
  });
  await context.addInitScript(() => {
    // GraphiQL's three editors; variables and headers are the two editor tools (one hidden behind its tab).
    window.__editors = () => {
      const [variables, headers] = document.querySelectorAll(".graphiql-editor-tool .graphiql-editor .CodeMirror");
      const query = document.querySelector(".graphiql-query-editor .CodeMirror");
      return { query: query.CodeMirror, variables: variables.CodeMirror, headers: headers.CodeMirror };
    };
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) =>
      window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  page.setDefaultTimeout(20_000);
  page.on("console", (message) => message.type() === "error" && report.consoleErrors.push(message.text()));
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.on("requestfailed", (request) => report.failedRequests.push(`${request.url()} ${request.failure()?.errorText}`));

  const response = await page.goto(pageUrl, { waitUntil: "load" });
  report.status = response?.status();
  report.contentSecurityPolicy = response?.headers()["content-security-policy"] ?? null;
  report.title = await page.title();

  // The editors are CodeMirror instances: set their text as a paste would (typing would fight the
  // editor's auto-closing brackets), which fires the same change events GraphiQL listens to.
  await page.waitForSelector(".graphiql-query-editor .CodeMirror");
  await page.evaluate(
    ([text, vars, head]) => {
      const found = window.__editors();
      if (text !== "-") found.query.setValue(text);
      if (vars !== "-") found.variables.setValue(vars);
      if (head !== "-") found.headers.setValue(head);
    },
    [query, variables, headers],
  );
  report.editors = await page.evaluate(() =>
    Object.fromEntries(Object.entries(window.__editors()).map(([name, editor]) => [name, editor.getValue()])),
  );
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(() => {
    const shown = document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "";
    return shown.includes('"data"') || shown.includes('"errors"');
  });
  // A subscription shows its latest event: WAIT_FOR lists texts (comma-separated) to see in the result
  // pane one after the other, e.g. the statuses an order is expected to go through.
  report.seen = [];
  for (const text of (process.env.WAIT_FOR ?? "").split(",").filter(Boolean)) {
    await page.waitForFunction(
      (wanted) => (document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "").includes(wanted),
      text,
      { timeout: 30_000 },
    );
    report.seen.push(text);
  }
  // The whole result as the pane holds it, and the text actually visible on screen.
  report.result = await page.evaluate(() => document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue());
  report.visibleResult = await page.innerText(".graphiql-response");
} catch (error) {
  // Still report what the page did (e.g. the requests it tried to send elsewhere), and fail.
  report.error = String(error);
  process.exitCode = 1;
} finally {
  report.cspViolations = await page.evaluate(() => window.__cspViolations ?? []).catch(() => ["(unknown)"]);
  await page.screenshot({ path: screenshot }).catch(() => {});
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(report, null, 2));
