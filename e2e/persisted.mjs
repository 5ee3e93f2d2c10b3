// Trusted documents as a frontend sends them: the ids graphql-codegen's client preset emitted
// (generated/client/persisted-documents.json, `npm run codegen`), against a service that trusts that manifest.
// Usage: node e2e/persisted.mjs URL CUSTOMER_ID (env CUSTOMER_TOKEN); prints what each request got, as JSON.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";

const [url, customerId] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(new URL("./generated/client/persisted-documents.json", import.meta.url)));
const idOf = (name) => Object.keys(manifest).find((id) => manifest[id].startsWith(`query ${name}(`) || manifest[id].startsWith(`query ${name} `));
const headers = {
  "content-type": "application/json",
  accept: "application/graphql-response+json, application/json",
  authorization: `Bearer ${process.env.CUSTOMER_TOKEN}`,
};

async function post(body) {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const canonicalId = idOf("Canonical");
const byDocumentId = await post({ documentId: canonicalId, variables: { id: customerId } });
const sha256Hash = canonicalId.replace(/^sha256:/, "");
const byApqHash = await post({ extensions: { persistedQuery: { version: 1, sha256Hash } }, variables: { id: customerId } });
const query = "query Untrusted { __typename }";
const unknownHash = await post({
  extensions: { persistedQuery: { version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") } },
});
const rawQuery = await post({ query });
const getById = await fetch(`${url}?documentId=${encodeURIComponent(canonicalId)}&variables=${encodeURIComponent(JSON.stringify({ id: customerId }))}`, { headers });
console.log(JSON.stringify({
  byDocumentId,
  byApqHash,
  unknownHash,
  rawQuery,
  getById: { status: getById.status, body: await getById.json() },
}));
