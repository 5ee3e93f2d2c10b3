// A frontend's session against the API with graphql-request, using only the documents in operations/
// (the ones GraphQL Code Generator types): the canonical query, a cursor walk over a category, a
// customer, a product and an order created by mutations, and an error read from extensions.code.
// Prints one JSON object; tests/e2e/test_node_client.py runs it against the service under uvicorn.
//
//   node e2e/client.mjs GRAPHQL_URL CUSTOMER_ID [CATEGORY]
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { ClientError, GraphQLClient } from "graphql-request";

const [url, customerId, category = "canonical"] = process.argv.slice(2);
if (!url || !customerId) {
  console.error("usage: node e2e/client.mjs GRAPHQL_URL CUSTOMER_ID [CATEGORY]");
  process.exit(2);
}
const client = new GraphQLClient(url);
const operation = (name) => readFileSync(new URL(`./operations/${name}.graphql`, import.meta.url), "utf8");

async function canonical() {
  const { customer } = await client.request(operation("canonical"), { id: customerId });
  const orders = customer.orders.edges.map((edge) => edge.node);
  return {
    name: customer.name,
    email: customer.email,
    orderIds: orders.map((order) => order.orderId),
    lineCount: orders.reduce((count, order) => count + order.items.length, 0),
    hasNextPage: customer.orders.pageInfo.hasNextPage,
  };
}

// Relay pagination as a frontend does it: pass pageInfo.endCursor back as `after` until hasNextPage is false.
async function walkCategory(first) {
  const pages = [];
  let after = null;
  for (let guard = 0; guard < 100; guard += 1) {
    const { productsByCategory: page } = await client.request(operation("products-by-category"), {
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
  const { createCustomer: customer } = await client.request(operation("create-customer"), {
    input: {
      email: `frontend.${tag}@example.com`,
      name: "Frontend Client",
      addresses: [{ label: "home", street: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" }],
    },
  });
  const { createProduct: product } = await client.request(operation("create-product"), {
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
    customerId: customer.customerId,
    items: [{ productId: product.productId, quantity: 3 }],
    idempotencyKey: `frontend-${tag}`,
  };
  const { placeOrder: order } = await client.request(operation("place-order"), { input });
  // A retry after a lost response: the same key returns the same order and writes nothing new.
  const { placeOrder: retried } = await client.request(operation("place-order"), { input });
  return { customer, product, order, retriedOrderId: retried.orderId };
}

// Errors arrive as a GraphQL response with `errors`; graphql-request raises them as a ClientError.
async function expectError(name, variables) {
  try {
    await client.request(operation(name), variables);
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
};
console.log(JSON.stringify(result, null, 2));
