// What a Relay frontend writes (tests/e2e/test_relay_compiler.py compiles it against schema.graphql): a
// customer's orders as a paginated connection (@connection: pageInfo with startCursor and hasPreviousPage)
// in a fragment Relay can refetch on its own (@refetchable: Customer is a Node, read back with node(id:)).
// The compiler only reads the graphql`...` literals; `graphql` is relay-runtime's tag, declared here so the
// file stands without it.
declare function graphql(strings: TemplateStringsArray): unknown;

export const customerOrders = graphql`
  fragment CustomerOrders_customer on Customer
  @refetchable(queryName: "CustomerOrdersRefetchQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" }) {
    name
    orderCount
    orders(first: $count, after: $cursor) @connection(key: "CustomerOrders_orders") {
      totalCount
      edges {
        node {
          id
          orderId
          status
          total
          orderDate
        }
      }
    }
  }
`;

export const customerOrdersQuery = graphql`
  query CustomerOrdersQuery($customerId: ID!) {
    customer(customerId: $customerId) {
      ...CustomerOrders_customer
    }
  }
`;
