output "table_names" {
  description = "Physical table names, by table (the names graphql_api/tables.py declares)."
  value = {
    Customers      = module.customers.table_name
    CustomerEmails = module.customer_emails.table_name
    Orders         = module.orders.table_name
    OrderItems     = module.order_items.table_name
    Products       = module.products.table_name
  }
}

output "table_arns" {
  description = "Table ARNs, by table, e.g. for IAM policies of the service."
  value = {
    Customers      = module.customers.table_arn
    CustomerEmails = module.customer_emails.table_arn
    Orders         = module.orders.table_arn
    OrderItems     = module.order_items.table_arn
    Products       = module.products.table_arn
  }
}
