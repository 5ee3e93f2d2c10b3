# The tables were one module call each until they became one for_each call (main.tf). These
# blocks move each existing table's state to its instance, so that the first plan after the
# change moves them instead of destroying and creating them again (data included). They need
# Terraform >= 1.1 (versions.tf). Keep them until every environment has applied once.

moved {
  from = module.customers
  to   = module.table["Customers"]
}

moved {
  from = module.customer_emails
  to   = module.table["CustomerEmails"]
}

moved {
  from = module.orders
  to   = module.table["Orders"]
}

moved {
  from = module.order_items
  to   = module.table["OrderItems"]
}

moved {
  from = module.products
  to   = module.table["Products"]
}
