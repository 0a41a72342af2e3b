"""The site store's pages, mounted at /sites/ (its API lives in sitestore/api/urls.py)."""

app_name = "sitestore"

# Each part of the store adds its own pages here: catalogue and My sites, previews, feedback.
urlpatterns: list = []
