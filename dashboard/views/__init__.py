"""The dashboard's pages: each module has ``render(ctx: PageContext) -> None`` and is registered
in :data:`dashboard.app.PAGES`."""
