"""Live news: web pages and RSS/Atom/JSON feeds fetched safely and kept fresh."""
