"""HTTP routers, one per resource; they read and write only through strmline.services."""
