// A frontend's live view with the graphql-ws client (the library frontends use for subscriptions):
// subscribe to one order as its owner, then ask the test (through stdout/stdin) to change it, and print
// what arrived; also show that a connection with a bad token is closed with 4403.
// Prints one JSON object; tests/e2e/test_live_client.py runs it against the service under uvicorn.
//
//   CUSTOMER_TOKEN=... node e2e/live.mjs GRAPHQL_URL ORDER_ID
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, orderId] = process.argv.slice(2);
const { CUSTOMER_TOKEN } = process.env;
if (!url || !orderId || !CUSTOMER_TOKEN) {
  console.error("usage: CUSTOMER_TOKEN=... node e2e/live.mjs GRAPHQL_URL ORDER_ID");
  process.exit(2);
}
const wsUrl = url.replace(/^http/, "ws");
const connect = (authorization) =>
  createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { Authorization: authorization }, retryAttempts: 0 });

const result = {};

// A bad token: the server closes the socket with 4403 before any subscription runs.
result.badToken = await new Promise((resolve) => {
  const client = connect("Bearer not.a.token");
  client.on("closed", (event) => resolve({ code: event.code }));
  client.subscribe({ query: "subscription { productChanged(productIds: []) { productId } }" }, {
    next: () => {},
    error: () => {},
    complete: () => {},
  });
});

// The owner's subscription: ready once the server counts it (the test watches /metrics), then the
// test changes the order and the event arrives here.
const client = connect(`Bearer ${CUSTOMER_TOKEN}`);
const query = `subscription($id: ID!) { orderChanged(orderId: $id) { orderId status items { quantity product { name } } } }`;
result.events = await new Promise((resolve, reject) => {
  const events = [];
  const timer = setTimeout(() => resolve(events), 15_000);
  client.subscribe(
    { query, variables: { id: orderId } },
    {
      next: (value) => {
        events.push(value);
        if (value.data?.orderChanged?.status === "SHIPPED") {
          clearTimeout(timer);
          resolve(events);
        }
      },
      error: (error) => reject(error),
      complete: () => resolve(events),
    },
  );
  console.error("subscribed");
});
await client.dispose();
console.log(JSON.stringify(result, null, 2));
