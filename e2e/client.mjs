// A frontend's session against the API with graphql-request, using only the documents in operations/
// (the ones GraphQL Code Generator types): the canonical query through `me` as a signed-in customer,
// a cursor walk over a category, a customer, a product and an order created by mutations as staff
// would, and errors read from extensions.code (a bad argument, no token, a bad token).
// Prints one JSON object; tests/e2e/test_node_client.py runs it against the service under uvicorn.
//
//   CUSTOMER_TOKEN=... ADMIN_TOKEN=... node e2e/client.mjs GRAPHQL_URL [CATEGORY]
//
// Tokens travel as a frontend sends them: `Authorization: Bearer <access token>` on every request.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { ClientError, GraphQLClient } from "graphql-request";

const [url, category = "canonical"] = process.argv.slice(2);
const { CUSTOMER_TOKEN, ADMIN_TOKEN } = process.env;
if (!url || !CUSTOMER_TOKEN || !ADMIN_TOKEN) {
  console.error("usage: CUSTOMER_TOKEN=... ADMIN_TOKEN=... node e2e/client.mjs GRAPHQL_URL [CATEGORY]");
  process.exit(2);
}
const signedIn = (token) => new GraphQLClient(url, { headers: { authorization: `Bearer ${token}` } });
const customer = signedIn(CUSTOMER_TOKEN);
const admin = signedIn(ADMIN_TOKEN);
const anonymous = new GraphQLClient(url);
const operation = (name) => readFileSync(new URL(`./operations/${name}.graphql`, import.meta.url), "utf8");

async function canonical() {
  const { me } = await customer.request(operation("me"));
  const orders = me.orders.edges.map((edge) => edge.node);
  return {
    name: me.name,
    email: me.email,
    orderIds: orders.map((order) => order.orderId),
    lineCount: orders.reduce((count, order) => count + order.items.length, 0),
    hasNextPage: me.orders.pageInfo.hasNextPage,
  };
}

// Relay pagination as a frontend does it: pass pageInfo.endCursor back as `after` until hasNextPage is false.
async function walkCategory(first) {
  const pages = [];
  let after = null;
  for (let guard = 0; guard < 100; guard += 1) {
    const { productsByCategory: page } = await admin.request(operation("products-by-category"), {
      category,
      first,
      after,
    });
    pages.push(page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return {
    pageSizes: pages.map((page) => page.length),
    productIds: pages.flat().map((product) => product.productId),
    names: pages.flat().map((product) => product.name),
  };
}

async function placeAnOrder() {
  const tag = randomUUID().slice(0, 8);
  const { createCustomer: created } = await admin.request(operation("create-customer"), {
    input: {
      email: `frontend.${tag}@example.com`,
      name: "Frontend Client",
      addresses: [{ label: "home", street: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" }],
    },
  });
  const { createProduct: product } = await admin.request(operation("create-product"), {
    input: {
      name: `Frontend Widget ${tag}`,
      description: "Made by the e2e client.",
      category: `e2e-frontend-${tag}`,
      price: "12.50",
      currency: "EUR",
      stock: 10,
    },
  });
  const input = {
    customerId: created.customerId,
    items: [{ productId: product.productId, quantity: 3 }],
    idempotencyKey: `frontend-${tag}`,
  };
  const { placeOrder: order } = await admin.request(operation("place-order"), { input });
  // A retry after a lost response: the same key returns the same order and writes nothing new.
  const { placeOrder: retried } = await admin.request(operation("place-order"), { input });
  return { customer: created, product, order, retriedOrderId: retried.orderId };
}

// Errors arrive as a GraphQL response with `errors`; graphql-request raises them as a ClientError.
async function expectError(name, variables, as = admin) {
  try {
    await as.request(operation(name), variables);
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    const [first] = error.response.errors;
    return { status: error.response.status, code: first.extensions?.code, message: first.message };
  }
  return { status: null, code: null, message: "no error" };
}

const result = {
  canonical: await canonical(),
  category: await walkCategory(7),
  placeOrder: await placeAnOrder(),
  badFirst: await expectError("products-by-category", { category, first: 0 }),
  anonymousMe: await expectError("me", {}, anonymous),
  forgedToken: await expectError("me", {}, signedIn(`${CUSTOMER_TOKEN.slice(0, -4)}AAAA`)),
};
console.log(JSON.stringify(result, null, 2));
