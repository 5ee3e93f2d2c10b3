// The graphql-http audit suite (the GraphQL over HTTP spec's conformance checks) against a running server.
// Usage: node e2e/audit.mjs URL; prints {"results": [{id, name, status, reason}]} as JSON.
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url, fetchFn: fetch });
const plain = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    entry.reason = result.reason;
    entry.responseStatus = result.response.status;
    entry.contentType = result.response.headers.get("content-type");
    entry.body = await result.response.text().catch(() => "");
  }
  plain.push(entry);
}
console.log(JSON.stringify({ results: plain }));
