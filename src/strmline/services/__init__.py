"""Request-time logic, one module per resource: the only place API routers get data from."""
