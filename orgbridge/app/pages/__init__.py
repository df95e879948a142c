"""One module per page; each registers its page and callbacks on an app."""
